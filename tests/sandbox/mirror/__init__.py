"""Package mirror serving the stand-in agent packages in the S3 layout AWS publishes them in
(the amazon-ssm-agent and amazon-ecs-init download paths)."""
