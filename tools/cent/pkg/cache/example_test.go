package cache_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// Example saves a task's result and restores it into a clean checkout, as
// `cent run` does on a cache hit.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "cent-cache-example")
	defer os.RemoveAll(dir)
	c, err := cache.Open(ctx, cache.Options{Dir: filepath.Join(dir, "cache")})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	// The task ran in "work" and produced bin/app.
	work := filepath.Join(dir, "work")
	os.MkdirAll(filepath.Join(work, "bin"), 0o755)
	os.WriteFile(filepath.Join(work, "bin", "app"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	os.Chmod(filepath.Join(work, "bin", "app"), 0o755) // whatever the umask
	key := cache.Sum([]byte("every input of the task"))
	if _, err := c.Save(ctx, key, cache.Result{
		Stdout:  []byte("built bin/app\n"),
		Root:    work,
		Outputs: []string{"bin/*"},
		Inputs:  map[string]string{"file:main.go": "9f86d0"},
	}); err != nil {
		panic(err)
	}

	// Later, elsewhere: a hit restores the output and replays the log.
	checkout := filepath.Join(dir, "checkout")
	e, err := c.Lookup(ctx, key)
	if err != nil {
		panic(err)
	}
	if err := c.Restore(ctx, e, checkout, os.Stdout, os.Stderr); err != nil {
		panic(err)
	}
	fi, _ := os.Stat(filepath.Join(checkout, "bin", "app"))
	fmt.Println(e.Outputs[0].Path, fi.Mode())

	// A key nobody saved is a miss.
	_, err = c.Lookup(ctx, cache.Sum([]byte("other inputs")))
	fmt.Println(err != nil)
	// Output:
	// built bin/app
	// bin/app -rwxr-xr-x
	// true
}
