#!/usr/bin/env bash
# Break-glass access to the dashboard and PostgreSQL when the edge sign-in (CloudFront,
# Lambda@Edge, the admin pool) is unavailable: `make dashboard-tunnel ENV=prod`.
# Two SSM Session Manager port forwards to the warehouse host, no SSH, no open port:
#   http://localhost:${LOCAL_DASHBOARD_PORT:-8080}/   -> Nginx/Shiny on the host
#   localhost:${LOCAL_PG_PORT:-15432}                  -> PostgreSQL on the host
# Access is whatever IAM grants: ssm:StartSession on the instance and the
# AWS-StartPortForwardingSessionToRemoteHost document. The instance id and address come
# from terraform output. Needs the AWS CLI and its session-manager-plugin.
set -euo pipefail

ENV_NAME="${1:?usage: dashboard-tunnel.sh <env>}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENV_DIR="$ROOT/terraform/envs/$ENV_NAME"
[ -d "$ENV_DIR" ] || { echo "no environment $ENV_NAME (terraform/envs/$ENV_NAME)" >&2; exit 2; }
TERRAFORM="${TERRAFORM:-terraform}"
AWS="${AWS:-aws}"
LOCAL_DASHBOARD_PORT="${LOCAL_DASHBOARD_PORT:-8080}"
LOCAL_PG_PORT="${LOCAL_PG_PORT:-15432}"
DASHBOARD_PORT="${DASHBOARD_PORT:-80}" # network.dashboard_port: Nginx's listener for the VPC origin
PG_PORT="${PG_PORT:-5432}"

output() {
  "$TERRAFORM" -chdir="$ENV_DIR" output -raw "$1" 2>/dev/null ||
    { echo "terraform output $1 is missing in terraform/envs/$ENV_NAME (not deployed, or no state here)" >&2; exit 1; }
}
INSTANCE_ID="$(output warehouse_instance_id)"
HOST="$(output warehouse_private_ip)"
[[ "$INSTANCE_ID" =~ ^i-[0-9a-f]+$ ]] || { echo "warehouse_instance_id is not an instance id: $INSTANCE_ID" >&2; exit 1; }

forward() { # remote port, local port
  "$AWS" ssm start-session --target "$INSTANCE_ID" \
    --document-name AWS-StartPortForwardingSessionToRemoteHost \
    --parameters "host=$HOST,portNumber=$1,localPortNumber=$2"
}

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT INT TERM
forward "$DASHBOARD_PORT" "$LOCAL_DASHBOARD_PORT" & pids+=("$!")
forward "$PG_PORT" "$LOCAL_PG_PORT" & pids+=("$!")
echo "dashboard:  http://localhost:$LOCAL_DASHBOARD_PORT/   (instance $INSTANCE_ID, $HOST:$DASHBOARD_PORT)"
echo "postgresql: psql \"host=localhost port=$LOCAL_PG_PORT dbname=clickstream user=clickstream_reader sslmode=require\""
echo "Ctrl-C closes both tunnels."
# Either tunnel ending (expired credentials, instance stopped) ends both.
wait -n "${pids[@]}"
