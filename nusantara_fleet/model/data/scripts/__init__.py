"""Scripts shipped to the database pods in ConfigMaps; each runs with the Python of the Patroni image."""
