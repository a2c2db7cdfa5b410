"""CSV import of leads: reading real-world files (parsing), guessing what each column is
(mapping), and the import job itself (services, run by the `pools.tasks.import_run` task)."""
