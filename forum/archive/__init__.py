"""The public archive: published records, their exports, search, the feed, reader comments."""
