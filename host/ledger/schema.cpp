// schema and migrations
