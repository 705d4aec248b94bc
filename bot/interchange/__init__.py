"""Course items in other programs' shapes (an Anki deck); used by the bot and by the command line alike."""
