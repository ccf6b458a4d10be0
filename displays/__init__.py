"""What screens show and what the voice says: view models, web pages, announcements."""
