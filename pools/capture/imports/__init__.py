"""CSV import of leads: reading real-world files (parsing), guessing what each column is
(mapping), the import job's life (services) and its run (runs, the `pools.tasks.import_run`
task)."""
