set -eu
umask 077
mkdir -p /etc/tend/kubeadm
cat > /etc/tend/kubeadm/kubeadm.yaml <<'TEND_KUBEADM'
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.0.0.10:6443
    token: <bootstrap-token>
    caCertHashes:
      - sha256:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12
nodeRegistration:
  name: cp2
  criSocket: unix:///var/run/containerd/containerd.sock
controlPlane:
  certificateKey: <certificate-key>
TEND_KUBEADM
exec /usr/bin/kubeadm join --config /etc/tend/kubeadm/kubeadm.yaml
