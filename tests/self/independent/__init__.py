"""An independent implementation of GET /v1/{project_id}/images/group, sharing no code with the reference."""
