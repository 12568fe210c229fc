from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Branch, Region, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Place in the organisation"), {"fields": ("full_name", "region", "branch")}),
    )
    list_display = ("username", "full_name", "region", "branch", "is_staff")
    list_filter = (*BaseUserAdmin.list_filter, "region")
    list_select_related = ("region", "branch")
    search_fields = ("username", "full_name", "email")
    autocomplete_fields = ("region", "branch")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("number", "name", "region__name")
    autocomplete_fields = ("region",)
