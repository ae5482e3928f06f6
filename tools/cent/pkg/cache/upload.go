package cache

import (
	"context"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
)

// uploading reports whether saves go to the remote.
func (c *Cache) uploading() bool { return c.remoteOK() && !c.readOnly }

// startUpload runs f now, or in the background with AsyncUpload.
func (c *Cache) startUpload(ctx context.Context, f func(context.Context)) {
	if !c.async {
		f(ctx)
		return
	}
	ctx = context.WithoutCancel(ctx)
	c.uploads.Add(1)
	go func() {
		defer c.uploads.Done()
		c.slots <- struct{}{}
		defer func() { <-c.slots }()
		f(ctx)
	}()
}

// uploadEntry uploads the blobs of e that the remote lacks, then the
// encoded entry. The entry is not uploaded when a blob failed.
func (c *Cache) uploadEntry(ctx context.Context, e *Entry, data []byte) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, b := range e.Blobs() {
		if b.Size == 0 && b.Digest == emptyDigest {
			continue // implicit, never fetched
		}
		g.Go(func() error { return c.upload(gctx, CAS, b.Digest, b.Size) })
	}
	if g.Wait() != nil || !c.uploading() {
		return
	}
	c.remotePut(ctx, AC, e.Key, int64(len(data)), bytesReader(data))
}

// upload copies a local object to the remote unless the remote has it.
func (c *Cache) upload(ctx context.Context, ns Namespace, d Digest, size int64) error {
	if !c.uploading() {
		return errRemoteOff
	}
	ok, err := c.remote.Contains(ctx, ns, d)
	if err != nil {
		c.remoteFailed(ctx, err)
		return err
	}
	if ok {
		return nil
	}
	f, err := os.Open(c.local.Path(ns, d))
	if err != nil {
		c.warn("local cache: reading %s/%s for upload: %v", ns, d, err)
		return err
	}
	defer f.Close()
	return c.remotePut(ctx, ns, d, size, f)
}

// remotePut stores one object in the remote, reporting failures.
func (c *Cache) remotePut(ctx context.Context, ns Namespace, d Digest, size int64, r io.Reader) error {
	err := c.remote.Put(ctx, ns, d, size, r)
	if err != nil && !c.remoteFailed(ctx, err) {
		c.warn("remote cache: storing %s/%s: %v", ns, d, err)
	}
	return err
}
