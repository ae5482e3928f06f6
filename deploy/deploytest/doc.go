// Package deploytest holds the tests of the delivery manifests under deploy/:
// the service chart rendered with the Helm SDK for every app and fixture and
// decoded strictly into Kubernetes API types, the values schema, the ArgoCD
// AppProject and ApplicationSet, the mesh settings and the CI runner values.
// Golden renders live in testdata/golden; refresh them with
// go test ./deploy/deploytest -update.
package deploytest
