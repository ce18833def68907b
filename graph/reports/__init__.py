"""Reports: their named reads, the intake both ESP doors share, the reporters (ESPs), file
content (blobs) and retention."""
