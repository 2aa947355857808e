"""Infrastructure beside the application logic: the broker that wakes every process, the event hub,
the outbox of SMS and e-mail, the caches, persisted queries and uploads."""
