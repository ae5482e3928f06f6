package gateway

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchedFiles lists the files whose change triggers a reload: the
// configuration, the API key file and the TLS certificate and key.
func (g *Gateway) watchedFiles() []string {
	cfg := g.Config()
	files := []string{cfg.Path}
	if k := cfg.Auth.APIKeys; k != nil && k.File != "" {
		files = append(files, k.File)
	}
	if t := cfg.Server.TLS; t != nil {
		files = append(files, t.CertFile, t.KeyFile)
	}
	return files
}

// Watch reloads the configuration when a watched file changes. It watches
// the directories, so editors that replace files by rename and Kubernetes
// ConfigMap symlink swaps are seen. Changes are debounced by 200ms.
func (g *Gateway) Watch(ctx context.Context) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	dirs := map[string]bool{}
	for _, f := range g.watchedFiles() {
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		names[filepath.Base(abs)] = true
		dirs[filepath.Dir(abs)] = true
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			_ = w.Close()
			return nil, err
		}
	}
	go func() {
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				base := filepath.Base(ev.Name)
				if !names[base] && base != "..data" {
					continue
				}
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(200*time.Millisecond, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			case <-fire:
				g.log.Info("configuration files changed: reloading")
				_ = g.Reload(ctx)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				g.log.Warn("file watcher error", "err", err)
			}
		}
	}()
	return w, nil
}
