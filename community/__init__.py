"""People and places: streets, communities, members, roles and family links."""
