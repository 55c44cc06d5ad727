// The `hosts` instance plugin: instances are existing machines taken from a pool over SSH; the
// claim and Tend's tags live on each host, since such a platform has nothing to query.
export { KnownHosts } from './known-hosts.js';
export { type SshResult, type SshRun, type SshTarget, sshExec } from './ssh-exec.js';
