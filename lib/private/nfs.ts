/**
 * How brokers reach the WAL over NFS: the ports the file system's security group opens and the
 * mount options the brokers use. One place, read by WalFileSystem, BrokerFleet and the docs.
 */
import { Port } from 'aws-cdk-lib/aws-ec2';

/**
 * The NFS ports of an FSx for ONTAP SVM (Amazon FSx for NetApp ONTAP user guide, "File system
 * access control with Amazon VPC"). NFS 4.1 itself only needs TCP 2049; the others are the
 * NFSv3 side protocols (portmapper 111, mountd 635, NLM 4045, NSM 4046, rquota 4049) that
 * operators' tools such as `showmount` use.
 */
export const NFS_PORTS: readonly Port[] = [
  ...[111, 635, 2049, 4045, 4046].flatMap((port) => [Port.tcp(port), Port.udp(port)]),
  Port.udp(4049),
];

/**
 * Mount options for the WAL (nfs(5), and AWS's guidance for FSx for ONTAP and EFS):
 * - `nfsvers=4.1`: sessions (exactly-once semantics for retried writes) and leases.
 * - `rsize`/`wsize` 1 MiB: one RPC per WAL batch of up to 1 MiB; the negotiated value is in
 *   /proc/mounts (ONTAP may offer less).
 * - `hard`: I/O waits out a file-server failover (under 60 s on Multi-AZ) instead of failing;
 *   `soft` can silently lose acknowledged writes.
 * - `timeo=600,retrans=2`: 60 s before a retransmission, as AWS recommends for its NFS services.
 * - `noresvport`: a new source port on reconnect, so a failover does not wait on a stale flow.
 * - `nconnect=16`: spreads traffic over 16 TCP connections, past EC2's per-flow bandwidth cap.
 * - `_netdev`: mount only once the network is up (at reboot, from /etc/fstab).
 */
export const WAL_MOUNT_OPTIONS = [
  'nfsvers=4.1',
  'rsize=1048576',
  'wsize=1048576',
  'hard',
  'timeo=600',
  'retrans=2',
  'noresvport',
  'nconnect=16',
  '_netdev',
].join(',');

/** Where the WAL volume is mounted on the host and inside the broker container (DK_WAL_DIR). */
export const WAL_MOUNT_POINT = '/mnt/wal';
