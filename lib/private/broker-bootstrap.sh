# shellcheck shell=bash
# The broker host's bootstrap: the body of the EC2 user data that BrokerFleet renders
# (lib/private/broker-user-data.ts prepends `set -euo pipefail` and the readonly settings this
# body reads). cloud-init runs it once, as root, at the instance's first boot.
#
# It mounts the WAL over NFS, installs and starts Docker, pulls the broker image and runs it with
# host networking, restart always, and its configuration in DK_* environment variables. With TLS
# (TLS_SECRET_ARN set) or SASL (SASL_USERS_SECRET_ARN set) it first writes the broker's
# certificate, key, client CAs or users into files only the broker's user can read; with TLS the
# broker advertises its private DNS name.

log() { echo "diskless-kafka bootstrap: $*" >&2; }

# Runs "$@" until it succeeds: 10 attempts, waiting a little longer after each failure.
retry() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if "$@"; then return 0; fi
    log "attempt ${attempt} of '$*' failed"
    sleep $((attempt * 3))
  done
  return 1
}

# Prints one instance metadata item, read with IMDSv2 (the launch template requires it).
imds() {
  local token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/meta-data/$1"
}

# Prints the broker's node id: its private IPv4 address as a 32-bit integer, masked to 31 bits
# (Kafka node ids are non-negative int32). Unique within a VPC, whose addresses differ below bit 31.
node_id_of() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo $((((a << 24) | (b << 16) | (c << 8) | d) & 0x7fffffff))
}

mount_wal() {
  log "mounting ${WAL_NFS_HOST}:${WAL_JUNCTION_PATH} at ${WAL_MOUNT_POINT}"
  mkdir -p "${WAL_MOUNT_POINT}"
  echo "${WAL_NFS_HOST}:${WAL_JUNCTION_PATH} ${WAL_MOUNT_POINT} nfs ${WAL_MOUNT_OPTIONS} 0 0" >>/etc/fstab
  retry mount "${WAL_MOUNT_POINT}"
  # The broker runs as an unprivileged user: it owns the root of the WAL volume.
  chown "${BROKER_UID}:${BROKER_UID}" "${WAL_MOUNT_POINT}"
}

start_docker() {
  # After a reboot, start Docker (and so the broker) only once the WAL is mounted again.
  mkdir -p /etc/systemd/system/docker.service.d
  printf '[Unit]\nRequiresMountsFor=%s\n' "${WAL_MOUNT_POINT}" >/etc/systemd/system/docker.service.d/wal-mount.conf
  systemctl daemon-reload
  systemctl enable --now docker
}

pull_image() {
  if [[ -n "${ECR_REGISTRY}" ]]; then
    aws ecr get-login-password --region "${AWS_REGION_NAME}" \
      | docker login --username AWS --password-stdin "${ECR_REGISTRY}"
  fi
  retry docker pull "${BROKER_IMAGE}"
}

# Writes the broker's credentials into $1, a directory only the broker's user can read: with TLS,
# cert.pem and key.pem from the secret's JSON ("certificate", "privateKey") and client-ca.pem when
# clients must present certificates; with SASL, sasl-users.json. Nothing of them reaches the log.
write_credentials() {
  local dir="$1" value
  install -d -m 0700 -o "${BROKER_UID}" -g "${BROKER_UID}" "${dir}"
  (
    umask 0277
    # Each value is read into a variable first: a failed read then stops the boot (set -e).
    if [[ -n "${TLS_SECRET_ARN}" ]]; then
      value=$(secret_value "${TLS_SECRET_ARN}")
      split_tls_secret "${dir}" <<<"${value}"
      if [[ -n "${CLIENT_CA_PEM}" ]]; then printf '%s\n' "${CLIENT_CA_PEM}" >"${dir}/client-ca.pem"; fi
    fi
    if [[ -n "${SASL_USERS_SECRET_ARN}" ]]; then
      value=$(secret_value "${SASL_USERS_SECRET_ARN}")
      check_sasl_users <<<"${value}" >"${dir}/sasl-users.json"
    fi
  )
  chown "${BROKER_UID}:${BROKER_UID}" "${dir}"/*
}

# Prints a secret's value (the instance role may read the cluster's secrets and no other).
secret_value() {
  retry aws secretsmanager get-secret-value --region "${AWS_REGION_NAME}" --secret-id "$1" \
    --query SecretString --output text
}

# Copies a SASL users file (npm run sasl-user) from stdin to stdout if it has users, or exits saying
# why not; the broker checks each credential when it starts.
check_sasl_users() {
  python3 -c '
import json, sys
try:
    users = json.load(sys.stdin)
except ValueError:
    sys.exit("diskless-kafka bootstrap: the SASL users secret is not JSON")
if not isinstance(users, dict) or not isinstance(users.get("users"), dict) or not users["users"]:
    sys.exit("diskless-kafka bootstrap: the SASL users secret has no \"users\" object with a user in it")
json.dump(users, sys.stdout, indent=2)
'
}

# Reads the TLS secret's JSON on stdin and writes its two PEM fields into $1, or exits saying which
# field is missing or wrong (the boot then fails: a broker without its certificate never serves).
split_tls_secret() {
  python3 -c '
import json, re, sys
FIELDS = (("certificate", "cert.pem", "-----BEGIN CERTIFICATE-----"),
          ("privateKey", "key.pem", "-----BEGIN (RSA |EC )?PRIVATE KEY-----"))
try:
    secret = json.load(sys.stdin)
except ValueError:
    sys.exit("diskless-kafka bootstrap: the TLS secret is not JSON")
for field, name, begin in FIELDS:
    value = secret.get(field) if isinstance(secret, dict) else None
    if not isinstance(value, str) or not re.search(begin, value):
        sys.exit("diskless-kafka bootstrap: the TLS secret has no unencrypted PEM %s in its \"%s\" field" % (name[:-4], field))
    with open(sys.argv[1] + "/" + name, "w") as out:
        out.write(value if value.endswith("\n") else value + "\n")
' "$1"
}

# Writes the broker's configuration into $1/broker.env: one DK_* variable per command-line flag
# of broker/main.ts.
write_broker_env() {
  local dir="$1" advertised_host="$2" instance_ipv4="$3" zone="$4" group_name="$5"
  mkdir -p "${dir}"
  cat >"${dir}/broker.env" <<EOF
DK_CLUSTER_MODE=true
DK_HOST=0.0.0.0
DK_PORT=${KAFKA_PORT}
DK_ADVERTISED_HOST=${advertised_host}
DK_NODE_ID=$(node_id_of "${instance_ipv4}")
DK_ZONE=${zone}
DK_CLUSTER_ID=${CLUSTER_ID}
DK_WAL_DIR=${WAL_MOUNT_POINT}
DK_OBJECT_STORE=${OBJECT_STORE_URL}
DK_LIFECYCLE_HOOK_NAME=${LIFECYCLE_HOOK_NAME}
DK_AUTO_SCALING_GROUP_NAME=${group_name}
AWS_REGION=${AWS_REGION_NAME}
EOF
  local credentials="${dir}/credentials"
  if [[ -n "${TLS_SECRET_ARN}" ]]; then
    printf 'DK_TLS_CERT_FILE=%s\nDK_TLS_KEY_FILE=%s\n' "${credentials}/cert.pem" "${credentials}/key.pem" >>"${dir}/broker.env"
    if [[ -n "${CLIENT_CA_PEM}" ]]; then printf 'DK_TLS_CLIENT_CA_FILE=%s\n' "${credentials}/client-ca.pem" >>"${dir}/broker.env"; fi
  fi
  if [[ -n "${SASL_USERS_SECRET_ARN}" ]]; then
    printf 'DK_SASL_USERS_FILE=%s\n' "${credentials}/sasl-users.json" >>"${dir}/broker.env"
  fi
  if [[ -n "${METRICS_PORT}" ]]; then printf 'DK_METRICS_PORT=%s\n' "${METRICS_PORT}" >>"${dir}/broker.env"; fi
}

# True when the broker needs credentials: a TLS certificate or SASL users.
has_credentials() {
  [[ -n "${TLS_SECRET_ARN}" || -n "${SASL_USERS_SECRET_ARN}" ]]
}

run_broker() {
  local instance_id="$1" dir="$2" credentials_volume=()
  # The credentials keep their host paths inside the container, read-only.
  if has_credentials; then credentials_volume=(--volume "${dir}/credentials:${dir}/credentials:ro"); fi
  # --init forwards SIGTERM to the broker and reaps zombies; --stop-timeout gives it time to drain.
  docker run --detach --name diskless-kafka --init --restart always --network host \
    --stop-timeout 120 \
    --ulimit nofile=1048576:1048576 \
    --env-file "${dir}/broker.env" \
    --volume "${WAL_MOUNT_POINT}:${WAL_MOUNT_POINT}" \
    "${credentials_volume[@]}" \
    --log-driver awslogs \
    --log-opt "awslogs-region=${AWS_REGION_NAME}" \
    --log-opt "awslogs-group=${LOG_GROUP_NAME}" \
    --log-opt "awslogs-stream=${instance_id}" \
    "${BROKER_IMAGE}"
}

main() {
  local config_dir=/etc/diskless-kafka instance_id instance_ipv4 advertised_host zone group_name
  instance_id=$(imds instance-id)
  instance_ipv4=$(imds local-ipv4)
  advertised_host="${instance_ipv4}"
  zone=$(imds placement/availability-zone)
  # Readable because the launch template turns on instance tags in metadata.
  group_name=$(imds tags/instance/aws:autoscaling:groupName)

  log "installing the NFS client and Docker"
  retry dnf install -y nfs-utils docker
  mount_wal
  if [[ -n "${TLS_SECRET_ARN}" ]]; then
    # One wildcard certificate can name every broker by its private DNS name; no certificate can
    # name the addresses that Spot instances will get.
    advertised_host=$(imds local-hostname)
  fi
  if has_credentials; then write_credentials "${config_dir}/credentials"; fi
  start_docker
  pull_image
  write_broker_env "${config_dir}" "${advertised_host}" "${instance_ipv4}" "${zone}" "${group_name}"
  run_broker "${instance_id}" "${config_dir}"
  log "broker ${instance_id} started (node id $(node_id_of "${instance_ipv4}"), zone ${zone}, advertised as ${advertised_host})"
}

# Run when executed (user data); only define the functions when sourced (tests).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main
fi
