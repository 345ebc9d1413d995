"""Background and periodic work: the job queue (procrastinate), the worker and its heartbeat.

On PostgreSQL jobs live in procrastinate's tables and are enqueued in the
transaction that causes them (``jobs.queue.enqueue``); ``flask --app app
worker`` runs them and the periodic ones. On the embedded SQLite default the
same worker runs in process memory (a thread of ``make run``).
"""
