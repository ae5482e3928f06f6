// Command cent is Centuria's monorepo tool: project graph, affected, boundary
// lint, a cached parallel task runner, images and supply-chain checks for Go
// workspaces. `cent deploy` and object-store remote caches run cent-full (cmd/cent-full).
package main

import "github.com/centuria/centuria/tools/cent/internal/commands"

func main() { commands.Main() }
