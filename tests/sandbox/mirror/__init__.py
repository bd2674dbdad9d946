"""Package mirror serving the stand-in agent packages in the S3 layout of DESIGN.md section 4."""
