"""Bulk import of learners and their mentors from a CSV file, in the Wagtail admin."""
