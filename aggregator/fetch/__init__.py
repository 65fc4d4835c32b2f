"""Fetching: polite HTTP (client), the network guard, robots.txt and pacing, HTTP dates, feed discovery."""
