#!/usr/bin/python3
# kube_to_pods.py KUSTOMIZATION IMAGE > pods.yaml: the manifests that kustomization.yaml
# lists, as the Pods a cluster would run, for `podman kube play` (podman 4.3 plays Pods
# and one pod per Deployment, but no StatefulSet, Service or HorizontalPodAutoscaler):
#   - each Deployment or StatefulSet becomes `replicas` Pods from its template, named
#     NAME-0, NAME-1, ... (a StatefulSet's own names);
#   - a workload of one replica that a (non-headless) Service selects is named after the
#     Service instead, so the Service's DNS name resolves to it on the podman network,
#     as cluster DNS would resolve the Service (mob-broker);
#   - every container runs IMAGE; its `ports` are dropped, since podman 4.3 publishes each
#     containerPort on the host (two pods with port 8081 then collide), after the probes'
#     named ports are replaced by their numbers;
#   - an httpGet probe of mob-shop-worker's /livez or /readyz becomes the exec probe
#     `mob-shop-worker --check livez|readyz`, which asks the same port the same question:
#     podman runs httpGet probes with curl, which the image does not have;
#   - Services and autoscalers are dropped (their names are printed on stderr).
# Debian's /usr/bin/python3 with python3-yaml (which podman-compose needs anyway).
import os
import sys

import yaml


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def main(kustomization, image):
    base = os.path.dirname(kustomization)
    with open(kustomization) as f:
        resources = yaml.safe_load(f)["resources"]
    docs = []
    for name in resources:
        with open(os.path.join(base, name)) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)

    services = [d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") != "None"]
    pods = []
    for d in docs:
        kind = d["kind"]
        if kind not in ("Deployment", "StatefulSet"):
            print(f"kube_to_pods: {kind} {d['metadata']['name']}: not played by podman",
                  file=sys.stderr)
            continue
        template = d["spec"]["template"]
        labels = template["metadata"].get("labels", {})
        replicas = d["spec"].get("replicas", 1)
        names = [f"{d['metadata']['name']}-{i}" for i in range(replicas)]
        selected = [s for s in services if matches(s["spec"].get("selector"), labels)]
        if replicas == 1 and selected:
            names = [selected[0]["metadata"]["name"]]
        for name in names:
            spec = yaml.safe_load(yaml.safe_dump(template["spec"]))  # a deep copy
            for c in spec["containers"]:
                c["image"] = image
                c["imagePullPolicy"] = "Never"
                numbers = {p["name"]: p["containerPort"] for p in c.pop("ports", []) if "name" in p}
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    get = c.get(probe, {}).get("httpGet")
                    if get and isinstance(get.get("port"), str):
                        get["port"] = numbers[get["port"]]
                    if get and c.get("command") == ["mob-shop-worker"]:
                        del c[probe]["httpGet"]
                        c[probe]["exec"] = {"command": ["mob-shop-worker", "--check",
                                                        get["path"].lstrip("/")]}
            pods.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": name, "labels": labels}, "spec": spec})
    yaml.safe_dump_all(pods, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: kube_to_pods.py KUSTOMIZATION IMAGE")
    main(sys.argv[1], sys.argv[2])
