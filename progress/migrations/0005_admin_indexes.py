"""Indexes for the admin listings' orderings (newest first).

The tables hold millions of rows: on PostgreSQL the indexes are built CONCURRENTLY, so learners
keep writing while they build (hence a non-atomic migration). Other databases build them the
ordinary way."""

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("progress", "0004_roles"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="enrolment",
            index=models.Index(fields=["started_at", "id"], name="progress_enrol_started"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="lessoncompletion",
            index=models.Index(fields=["completed_at", "id"], name="progress_completion_at"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="quizattempt",
            index=models.Index(fields=["started_at", "id"], name="progress_attempt_started"),
        ),
    ]
