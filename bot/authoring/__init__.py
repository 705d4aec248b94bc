"""Offline tools for content authors; the command line calls them and the running bot never imports them."""
