// Package deploy previews Centuria's ArgoCD delivery offline: it reads the
// repository's ApplicationSet, generates the Applications its git files
// generator would produce for the apps/*/deploy/values.yaml files of the
// working tree, and renders each Application's Helm chart with the Helm SDK,
// without a cluster or a network.
//
// The generator follows ArgoCD's semantics for goTemplate ApplicationSets:
// each matched file's YAML content becomes the parameters, plus path.path
// (the file's directory), path.basename (that directory's last element, so
// "deploy" for apps/orders/deploy/values.yaml: use index .path.segments 1 for
// the app), path.filename, path.basenameNormalized, path.filenameNormalized
// and path.segments. Every string of the template is rendered with
// text/template and the Sprig functions, as ArgoCD does. Globs follow
// ArgoCD's new git file globbing (a '*' never crosses '/'), and the working
// tree is read, so files not yet committed are previewed too.
package deploy
