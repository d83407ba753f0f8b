#!/bin/sh
# Database host bootstrap, revision ${revision}: PostgreSQL 16 with
# TimescaleDB and PostGIS, and Valkey. Passwords come from Secrets Manager.
set -eu
/opt/tracker/bootstrap-db.sh \
  --allow-cidr "${vpc_cidr}" \
  --postgres-secret "${postgres_secret}" \
  --redis-secret "${redis_secret}"
