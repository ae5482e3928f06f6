// Command floorproxy is a reference point for bench/gateway, not a proxy to
// use: the least a Go program can do to proxy the benchmark's requests — GET
// only, Content-Length responses, one upstream connection pinned to each
// client connection, no validation at all — on the standard net package and
// Go's network poller. Its req/s is the ceiling any Go gateway on this
// machine can approach; the distance from it to the gateway is what the
// gateway's HTTP server, proxy and checks cost.
//
//	floorproxy LISTEN_ADDR UPSTREAM_ADDR
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: floorproxy LISTEN_ADDR UPSTREAM_ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorproxy:", err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "floorproxy:", err)
			os.Exit(1)
		}
		go serve(c, os.Args[2])
	}
}

// readHead appends one message head (through the empty line) to buf and
// returns it with the Content-Length it declares (0 if none).
func readHead(r *bufio.Reader, buf []byte) ([]byte, int, error) {
	length := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, 0, err
		}
		buf = append(buf, line...)
		if len(line) <= 2 {
			return buf, length, nil
		}
		const cl = "content-length:"
		if len(line) > len(cl) && bytes.EqualFold(line[:len(cl)], []byte(cl)) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(line[len(cl):]))); err != nil {
				return nil, 0, err
			}
		}
	}
}

func serve(c net.Conn, upstream string) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	cr, ur := bufio.NewReader(c), bufio.NewReader(u)
	var req, resp []byte
	for {
		req, _, err = readHead(cr, req[:0])
		if err != nil {
			return
		}
		if _, err := u.Write(req); err != nil {
			return
		}
		var n int
		resp, n, err = readHead(ur, resp[:0])
		if err != nil {
			return
		}
		head := len(resp)
		resp = slices.Grow(resp, n)[:head+n]
		if _, err := io.ReadFull(ur, resp[head:]); err != nil {
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}
