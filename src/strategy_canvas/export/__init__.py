"""Writers (PDF, Markdown, JSON, CSV) and readers (JSON, CSV) of whole canvases."""
