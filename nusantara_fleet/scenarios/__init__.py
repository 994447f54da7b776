"""`fleet scenarios`: the design's failure scenarios, judged from the rendered `dist/` alone."""
