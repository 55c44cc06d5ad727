set -eu
umask 077
mkdir -p /etc/tend/kubeadm
cat > /etc/tend/kubeadm/kubeadm.yaml <<'TEND_KUBEADM'
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: <bootstrap-token>
    description: issued by Tend for nodes of this group
    ttl: 24h0m0s
    usages:
      - signing
      - authentication
    groups:
      - system:bootstrappers:kubeadm:default-node-token
nodeRegistration:
  name: cp1
  criSocket: unix:///var/run/containerd/containerd.sock
certificateKey: <certificate-key>
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: k8s
kubernetesVersion: v1.31.2
controlPlaneEndpoint: 10.0.0.10:6443
networking:
  podSubnet: 10.244.0.0/16
TEND_KUBEADM
exec /usr/bin/kubeadm init --config /etc/tend/kubeadm/kubeadm.yaml --upload-certs
