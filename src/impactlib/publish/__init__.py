"""What leaves the repository: citation metadata, disclosure control, open data, PDFs."""
