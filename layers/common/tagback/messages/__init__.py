"""What guests and owners read: the message catalog in six languages, and its rendering."""
