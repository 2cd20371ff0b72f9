"""What people read: server-rendered pages and the embeddable agenda, French by default."""
