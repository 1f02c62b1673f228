// The catalogue explorer: every song of the map drawn with WebGL 2, hover, search, and a
// song's recommendations and similar artists on click. Written for timbral, no library. Every
// string from the catalogue reaches the page through textContent, never as markup.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message || e)));
  window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason)));

  const QUANT = 65535;
  const NONE = 0xffffffff;
  const MISSING = 0xffff;

  // ---- data ----------------------------------------------------------------------------

  // The payload: base64 of one gzip stream of byte-planed little-endian arrays (payload.rs).
  async function decode() {
    const meta = JSON.parse($('explorer-meta').textContent);
    const element = $('explorer-data');
    const text = element.textContent;
    element.remove(); // the page keeps the arrays, not 40 MB of text
    const packed = Uint8Array.fromBase64 ? Uint8Array.fromBase64(text) : base64Bytes(text);
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const arrays = {};
    for (const [name, [offset, length, width]] of Object.entries(meta.arrays)) {
      arrays[name] = unplane(bytes, offset, length, width);
    }
    return { meta, arrays };
  }

  function base64Bytes(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function unplane(bytes, offset, length, width) {
    if (width === 1) return bytes.subarray(offset, offset + length);
    const out = width === 2 ? new Uint16Array(length) : new Uint32Array(length);
    for (let plane = 0; plane < width; plane++) {
      const base = offset + plane * length;
      const shift = 8 * plane;
      for (let i = 0; i < length; i++) out[i] |= bytes[base + i] << shift;
    }
    return out;
  }

  // Lowercase with every position kept, so that a match's position finds its string: the few
  // characters whose lowercase is longer (İ) stay as they are.
  function foldCase(text) {
    const lower = text.toLowerCase();
    if (lower.length === text.length) return lower;
    return text.replace(/[\s\S]/gu, (c) => {
      const l = c.toLowerCase();
      return l.length === c.length ? l : c;
    });
  }

  // One string table: song titles, then artist names, then genres, sliced from one string.
  class Strings {
    constructor(lengths, utf8) {
      this.text = new TextDecoder().decode(utf8);
      this.start = new Uint32Array(lengths.length + 1);
      for (let i = 0; i < lengths.length; i++) this.start[i + 1] = this.start[i] + lengths[i];
      this.folded = foldCase(this.text);
    }
    get(i) {
      return this.text.slice(this.start[i], this.start[i + 1]);
    }
    // Calls found(i) once for each string i < end that contains query (already folded).
    each(query, end, found) {
      const limit = this.start[end];
      let s = 0;
      let p = this.folded.indexOf(query);
      while (p !== -1 && p < limit) {
        while (this.start[s + 1] <= p) s++;
        if (p + query.length <= this.start[s + 1]) {
          found(s);
          p = this.folded.indexOf(query, this.start[s + 1]);
        } else {
          p = this.folded.indexOf(query, p + 1);
        }
      }
    }
  }

  // A uniform grid over the quantised coordinates: the songs of each cell, for hover and click.
  class Grid {
    constructor(x, y) {
      const n = x.length;
      this.x = x;
      this.y = y;
      this.side = Math.max(1, Math.min(2048, Math.round(Math.sqrt(n / 4))));
      const cells = this.side * this.side;
      this.start = new Uint32Array(cells + 1);
      const cell = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        cell[i] = this.cell(x[i], y[i]);
        this.start[cell[i] + 1]++;
      }
      for (let c = 0; c < cells; c++) this.start[c + 1] += this.start[c];
      const fill = this.start.slice(0, cells);
      this.songs = new Uint32Array(n);
      for (let i = 0; i < n; i++) this.songs[fill[cell[i]]++] = i;
    }
    axis(v) {
      return Math.min(this.side - 1, Math.max(0, Math.floor((v * this.side) / (QUANT + 1))));
    }
    cell(x, y) {
      return this.axis(y) * this.side + this.axis(x);
    }
    // The song nearest to (qx, qy) within radius (quantised units), or -1; ties go to the
    // song drawn last, the one on top.
    nearest(qx, qy, radius) {
      let best = -1;
      let bestD = radius * radius;
      const [x0, x1] = [this.axis(qx - radius), this.axis(qx + radius)];
      const [y0, y1] = [this.axis(qy - radius), this.axis(qy + radius)];
      for (let cy = y0; cy <= y1; cy++) {
        for (let cx = x0; cx <= x1; cx++) {
          const c = cy * this.side + cx;
          for (let k = this.start[c]; k < this.start[c + 1]; k++) {
            const i = this.songs[k];
            const dx = this.x[i] - qx;
            const dy = this.y[i] - qy;
            const d = dx * dx + dy * dy;
            if (d < bestD || (d === bestD && i > best)) {
              best = i;
              bestD = d;
            }
          }
        }
      }
      return best;
    }
  }

  // ---- WebGL points -------------------------------------------------------------------

  // Every song is drawn once into an off-screen layer, redrawn only when the view or the
  // colouring changes; a search copies that layer, veils it and draws only the matches on
  // top, so its cost grows with the matches, not the catalogue.
  const VERTEX = `#version 300 es
in float a_x;
in float a_y;
in uint a_code;
uniform vec2 u_scale;
uniform vec2 u_shift;
uniform float u_size;
uniform float u_alpha;
uniform bool u_emphasis;
uniform sampler2D u_palette;
uniform int u_width;
out vec4 v_colour;
void main() {
  int code = int(a_code);
  vec4 colour = texelFetch(u_palette, ivec2(code % u_width, code / u_width), 0);
  gl_Position = vec4(vec2(a_x, a_y) * u_scale + u_shift, 0.0, 1.0);
  gl_PointSize = u_emphasis ? u_size + 3.0 : u_size;
  v_colour = vec4(colour.rgb, u_emphasis ? 1.0 : u_alpha);
}`;
  const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_colour;
out vec4 colour;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  colour = v_colour;
}`;
  // A translucent white sheet over the whole canvas (one triangle larger than the screen).
  const VEIL_VERTEX = `#version 300 es
void main() {
  gl_Position = vec4(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0, 0.0, 1.0);
}`;
  const VEIL_FRAGMENT = `#version 300 es
precision mediump float;
out vec4 colour;
void main() {
  colour = vec4(1.0, 1.0, 1.0, 0.7);
}`;

  // Songs drawn while the map moves: all up to MOVING_POINTS, else an even sample of that many
  // (a multiplicative hash of the position picks them, so no region is favoured).
  const MOVING_POINTS = 150000;
  function movingSample(count) {
    const keep = Math.min(1, MOVING_POINTS / count) * 2 ** 32;
    const out = [];
    for (let i = 0; i < count; i++) if (Math.imul(i, 2654435761) >>> 0 < keep) out.push(i);
    return new Uint32Array(out);
  }

  function compile(gl, vertex, fragment) {
    const program = gl.createProgram();
    for (const [type, source] of [[gl.VERTEX_SHADER, vertex], [gl.FRAGMENT_SHADER, fragment]]) {
      const shader = gl.createShader(type);
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader));
      gl.attachShader(program, shader);
    }
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
    return program;
  }

  class Points {
    constructor(canvas, x, y) {
      const gl = canvas.getContext('webgl2', { antialias: false, depth: false, preserveDrawingBuffer: true });
      if (!gl) throw new Error('this browser has no WebGL 2; the report (index.html) shows the same map as pictures');
      this.gl = gl;
      this.count = x.length;
      this.drawn = 0;
      this.veil = compile(gl, VEIL_VERTEX, VEIL_FRAGMENT);
      this.program = compile(gl, VERTEX, FRAGMENT);
      gl.useProgram(this.program);
      this.uniforms = {};
      for (const name of ['u_scale', 'u_shift', 'u_size', 'u_alpha', 'u_emphasis', 'u_palette', 'u_width']) {
        this.uniforms[name] = gl.getUniformLocation(this.program, name);
      }
      gl.bindVertexArray(gl.createVertexArray());
      this.attribute('a_x', x, (loc) => gl.vertexAttribPointer(loc, 1, gl.UNSIGNED_SHORT, true, 0, 0));
      this.attribute('a_y', y, (loc) => gl.vertexAttribPointer(loc, 1, gl.UNSIGNED_SHORT, true, 0, 0));
      this.codes = this.attribute('a_code', new Uint16Array(this.count), (loc) => gl.vertexAttribIPointer(loc, 1, gl.UNSIGNED_SHORT, 0, 0));
      this.matches = gl.createBuffer();
      this.matchCount = 0;
      this.sample = gl.createBuffer();
      const sample = movingSample(this.count);
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.sample);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, sample, gl.STATIC_DRAW);
      this.sampleCount = sample.length;
      this.palette = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, this.palette);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.enable(gl.BLEND);
      // Colours blend; alpha stays 1, since the page composites the canvas by its alpha.
      gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
      this.layer = gl.createFramebuffer();
      this.layerPixels = gl.createRenderbuffer();
      this.layerKey = null;
    }
    attribute(name, values, layout) {
      const gl = this.gl;
      const buffer = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, values, gl.DYNAMIC_DRAW);
      const loc = gl.getAttribLocation(this.program, name);
      gl.enableVertexAttribArray(loc);
      layout(loc);
      return buffer;
    }
    setColouring(codes, palette) {
      const gl = this.gl;
      gl.bindBuffer(gl.ARRAY_BUFFER, this.codes);
      gl.bufferSubData(gl.ARRAY_BUFFER, 0, codes);
      const width = Math.min(palette.length, 2048);
      const height = Math.ceil(palette.length / width);
      const texels = new Uint8Array(width * height * 4);
      palette.forEach((hex, i) => {
        for (let c = 0; c < 3; c++) texels[4 * i + c] = parseInt(hex.slice(1 + 2 * c, 3 + 2 * c), 16);
        texels[4 * i + 3] = 255;
      });
      gl.bindTexture(gl.TEXTURE_2D, this.palette);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, texels);
      gl.useProgram(this.program);
      gl.uniform1i(this.uniforms.u_width, width);
      this.invalidate();
    }
    // The next draw redraws every song.
    invalidate() {
      this.layerKey = null;
    }
    // The songs drawn on top of the veil (none: no search).
    setMatches(songs) {
      this.gl.bindBuffer(this.gl.ELEMENT_ARRAY_BUFFER, this.matches);
      this.gl.bufferData(this.gl.ELEMENT_ARRAY_BUFFER, songs, this.gl.DYNAMIC_DRAW);
      this.matchCount = songs.length;
    }
    // `moving`: while the map is dragged or zoomed, a sample of the songs straight to the
    // screen, so that software WebGL keeps up; the layer is redrawn once it stops.
    draw(view, size, alpha, searching, moving) {
      const gl = this.gl;
      const { width, height } = gl.canvas;
      const key = [view.cx, view.cy, view.ppu, width, height, size].join();
      gl.useProgram(this.program);
      const [sx, sy] = [(2 * view.ppu) / view.width, (2 * view.ppu) / view.height];
      gl.uniform2f(this.uniforms.u_scale, sx, sy);
      gl.uniform2f(this.uniforms.u_shift, -view.cx * sx, -view.cy * sy);
      gl.uniform1f(this.uniforms.u_size, size * devicePixelRatio);
      gl.uniform1f(this.uniforms.u_alpha, alpha);
      gl.uniform1i(this.uniforms.u_palette, 0);
      gl.viewport(0, 0, width, height);
      if (moving && this.sampleCount < this.count) {
        gl.bindFramebuffer(gl.FRAMEBUFFER, null);
        gl.clearColor(1, 1, 1, 1);
        gl.clear(gl.COLOR_BUFFER_BIT);
        gl.uniform1i(this.uniforms.u_emphasis, 0);
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.sample);
        gl.drawElements(gl.POINTS, this.sampleCount, gl.UNSIGNED_INT, 0);
        this.layerKey = null;
      } else {
        gl.bindFramebuffer(gl.FRAMEBUFFER, this.layer);
        if (key !== this.layerKey) {
          gl.bindRenderbuffer(gl.RENDERBUFFER, this.layerPixels);
          gl.renderbufferStorage(gl.RENDERBUFFER, gl.RGBA8, width, height);
          gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.RENDERBUFFER, this.layerPixels);
          gl.clearColor(1, 1, 1, 1);
          gl.clear(gl.COLOR_BUFFER_BIT);
          gl.uniform1i(this.uniforms.u_emphasis, 0);
          gl.drawArrays(gl.POINTS, 0, this.count);
          this.drawn = this.count;
          this.layerKey = key;
        }
        gl.bindFramebuffer(gl.READ_FRAMEBUFFER, this.layer);
        gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, null);
        gl.blitFramebuffer(0, 0, width, height, 0, 0, width, height, gl.COLOR_BUFFER_BIT, gl.NEAREST);
        gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      }
      if (searching) {
        gl.useProgram(this.veil);
        gl.drawArrays(gl.TRIANGLES, 0, 3);
        gl.useProgram(this.program);
        gl.uniform1i(this.uniforms.u_emphasis, 1);
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.matches);
        gl.drawElements(gl.POINTS, this.matchCount, gl.UNSIGNED_INT, 0);
      }
    }
    // Waits for the GPU (software WebGL included) to finish the frame.
    finish() {
      this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, new Uint8Array(4));
    }
  }

  // ---- the explorer ------------------------------------------------------------------------

  function element(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  // Four significant digits, as the report's tables print distances.
  function num(v) {
    if (!Number.isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return v.toFixed(a === 0 ? 0 : Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(a)))));
  }

  function duration(seconds) {
    if (seconds === MISSING) return 'length unknown';
    return Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
  }

  function distanceDecoder(scale) {
    return (code) => {
      if (code === MISSING) return NaN;
      if (code === 0) return 0;
      return scale.lo * Math.pow(scale.hi / scale.lo, (code - 1) / scale.top);
    };
  }

  class Explorer {
    constructor(meta, arrays) {
      this.meta = meta;
      this.a = arrays;
      this.n = meta.songs;
      this.artists = meta.artists;
      this.strings = new Strings(arrays.string_lengths, arrays.string_text);
      this.artistOf = new Uint32Array(this.n);
      for (let a = 0; a < this.artists; a++) this.artistOf.fill(a, arrays.artist_start[a], arrays.artist_start[a + 1]);
      this.grid = new Grid(arrays.x, arrays.y);
      this.matches = new Uint8Array(this.n);
      this.matchCount = 0;
      this.searching = false;
      this.selected = -1;
      this.hovered = -1;
      this.map = $('map');
      this.points = new Points($('points'), arrays.x, arrays.y);
      this.marks = $('marks');
      this.tooltip = $('tooltip');
      this.pending = false;
      this.movingUntil = 0;
      this.restTimer = 0;
      this.baseSize = Math.max(1.5, Math.min(7, 9 - 1.25 * Math.log10(Math.max(this.n, 10))));
      this.alpha = this.n > 300000 ? 0.45 : this.n > 30000 ? 0.65 : 0.85;
      this.colouring = null;
      this.sizeCanvas();
      this.fit();
      this.setupControls();
      // Resizing clears the canvases: redraw before that frame is painted.
      new ResizeObserver(() => {
        if (this.sizeCanvas()) this.drawNow();
      }).observe(this.map);
    }

    title(i) {
      return this.strings.get(i);
    }
    artistName(a) {
      return this.strings.get(this.n + a);
    }
    genre(i) {
      const g = this.a.first_genre[i];
      return g === 0 ? 'no genre' : this.strings.get(this.n + this.artists + g - 1);
    }

    sizeCanvas() {
      const width = Math.max(1, this.map.clientWidth);
      const height = Math.max(1, this.map.clientHeight);
      let changed = false;
      for (const canvas of [$('points'), this.marks]) {
        // Setting a canvas's size clears it, even to the same size.
        const [w, h] = [Math.round(width * devicePixelRatio), Math.round(height * devicePixelRatio)];
        if (canvas.width !== w || canvas.height !== h) {
          [canvas.width, canvas.height] = [w, h];
          changed = true;
        }
      }
      if (this.view) [this.view.width, this.view.height] = [width, height];
      return changed;
    }

    // The whole map in view.
    fit() {
      const { x, y } = this.a;
      let [x0, x1, y0, y1] = [QUANT, 0, QUANT, 0];
      for (let i = 0; i < this.n; i++) {
        if (x[i] < x0) x0 = x[i];
        if (x[i] > x1) x1 = x[i];
        if (y[i] < y0) y0 = y[i];
        if (y[i] > y1) y1 = y[i];
      }
      const [width, height] = [this.map.clientWidth || 1, this.map.clientHeight || 1];
      const ppu = 0.84 * QUANT * Math.min(width / Math.max(x1 - x0, 1), height / Math.max(y1 - y0, 1));
      this.view = { cx: (x0 + x1) / 2 / QUANT, cy: (y0 + y1) / 2 / QUANT, ppu, width, height };
      this.fullPpu = ppu;
    }

    // Screen position (CSS pixels in the map) of quantised coordinates, and of a song.
    project(qx, qy) {
      const v = this.view;
      return [(qx / QUANT - v.cx) * v.ppu + v.width / 2, v.height / 2 - (qy / QUANT - v.cy) * v.ppu];
    }
    toScreen(i) {
      return this.project(this.a.x[i], this.a.y[i]);
    }
    fromScreen(sx, sy) {
      const v = this.view;
      return [((sx - v.width / 2) / v.ppu + v.cx) * QUANT, ((v.height / 2 - sy) / v.ppu + v.cy) * QUANT];
    }
    pointSize() {
      return this.baseSize * Math.min(4, Math.max(1, Math.sqrt(this.view.ppu / this.fullPpu)));
    }

    // The song under the pointer at (sx, sy), or -1.
    songAt(sx, sy) {
      const [qx, qy] = this.fromScreen(sx, sy);
      const radius = (Math.max(6, this.pointSize()) / this.view.ppu) * QUANT;
      return this.grid.nearest(qx, qy, radius);
    }

    requestDraw() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => {
        if (this.pending) this.drawNow();
      });
    }
    drawNow() {
      this.pending = false;
      const moving = performance.now() < this.movingUntil;
      this.points.draw(this.view, this.pointSize(), this.alpha, this.searching, moving);
      this.drawMarks();
    }
    // The view changed under the pointer: quick frames now, every song once it rests.
    moved() {
      this.movingUntil = performance.now() + 300;
      this.requestDraw();
      clearTimeout(this.restTimer);
      this.restTimer = setTimeout(() => this.requestDraw(), 350);
    }

    // The 2-D layer over the points: cluster labels, the selection, its recommendations and its
    // artist's songs, and the song under the pointer.
    drawMarks() {
      const ctx = this.marks.getContext('2d');
      ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
      ctx.clearRect(0, 0, this.view.width, this.view.height);
      ctx.font = '12px "DejaVu Sans", Helvetica, Arial, sans-serif';
      ctx.textAlign = 'center';
      ctx.lineJoin = 'round';
      for (const [text, x, y] of this.colouring.labels) {
        const [sx, sy] = this.project(x, y);
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(255,255,255,0.9)';
        ctx.strokeText(text, sx, sy);
        ctx.fillStyle = '#1d232a';
        ctx.fillText(text, sx, sy);
      }
      if (this.selected >= 0) {
        const a = this.artistOf[this.selected];
        ctx.strokeStyle = '#1d232a';
        ctx.lineWidth = 1;
        for (let i = this.a.artist_start[a]; i < this.a.artist_start[a + 1]; i++) {
          const [sx, sy] = this.toScreen(i);
          ctx.strokeRect(sx - 3.5, sy - 3.5, 7, 7);
        }
        ctx.fillStyle = '#b3261e';
        ctx.strokeStyle = '#b3261e';
        ctx.lineWidth = 2;
        this.recommendations(this.selected).forEach(({ song, rank }) => {
          const [sx, sy] = this.toScreen(song);
          ctx.beginPath();
          ctx.arc(sx, sy, 7, 0, 2 * Math.PI);
          ctx.stroke();
          ctx.fillText(String(rank), sx + 12, sy - 8);
        });
        this.ring(ctx, this.selected, 10, '#1f3b57', 3);
      }
      if (this.hovered >= 0) this.ring(ctx, this.hovered, 8, '#1d232a', 2);
    }
    ring(ctx, i, radius, colour, width) {
      const [sx, sy] = this.toScreen(i);
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(sx, sy, radius, 0, 2 * Math.PI);
      ctx.stroke();
    }

    setupControls() {
      const select = $('colouring');
      if (this.meta.colourings.length === 0) this.meta.colourings.push({ key: 'none', title: 'one colour', palette: ['#1f77b4'], legend: [], labels: [] });
      this.meta.colourings.forEach((c, i) => {
        const option = element('option', c.title);
        option.value = String(i);
        select.append(option);
      });
      select.addEventListener('change', () => this.setColouring(Number(select.value)));
      this.setColouring(0);
      $('reading').textContent = this.meta.reading + ' ' + this.recommendationNote();
      for (const note of this.meta.notes) $('notes').append(element('li', note, 'notice'));

      const search = $('search');
      search.addEventListener('input', () => this.search(search.value));
      search.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') this.jumpToNextMatch();
      });

      const marks = this.marks;
      let drag = null;
      marks.addEventListener('mousedown', (e) => {
        drag = { x: e.clientX, y: e.clientY, cx: this.view.cx, cy: this.view.cy, moved: false };
      });
      window.addEventListener('mouseup', () => {
        setTimeout(() => (drag = null));
      });
      marks.addEventListener('mousemove', (e) => {
        if (drag && e.buttons & 1) {
          const [dx, dy] = [e.clientX - drag.x, e.clientY - drag.y];
          if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
          this.view.cx = drag.cx - dx / this.view.ppu;
          this.view.cy = drag.cy + dy / this.view.ppu;
          this.moved();
          return;
        }
        const rect = marks.getBoundingClientRect();
        this.hover(this.songAt(e.clientX - rect.left, e.clientY - rect.top), e.clientX - rect.left, e.clientY - rect.top);
      });
      marks.addEventListener('mouseleave', () => this.hover(-1));
      marks.addEventListener('click', (e) => {
        if (drag && drag.moved) return;
        const rect = marks.getBoundingClientRect();
        const song = this.songAt(e.clientX - rect.left, e.clientY - rect.top);
        this.select(song);
      });
      marks.addEventListener(
        'wheel',
        (e) => {
          e.preventDefault();
          const rect = marks.getBoundingClientRect();
          const [sx, sy] = [e.clientX - rect.left, e.clientY - rect.top];
          const [qx, qy] = this.fromScreen(sx, sy);
          const factor = Math.exp(-e.deltaY * 0.0015);
          this.view.ppu = Math.min(this.fullPpu * 4000, Math.max(this.fullPpu * 0.5, this.view.ppu * factor));
          // Keep the point under the pointer where it is.
          this.view.cx = qx / QUANT - (sx - this.view.width / 2) / this.view.ppu;
          this.view.cy = qy / QUANT - (this.view.height / 2 - sy) / this.view.ppu;
          this.moved();
        },
        { passive: false },
      );
    }

    recommendationNote() {
      const recs = this.meta.recommendations;
      if (!recs) return '';
      const space = recs.space ? ' in the ' + recs.space + ' representation' : '';
      const stored = recs.stored > recs.k ? ` (the page holds each song's top ${recs.k} of the table's ${recs.stored}: at most 3,000,000 in all, so that a million songs fit in 40 MB)` : '';
      return `Recommendations are the nearest songs${space}${stored}.`;
    }

    setColouring(index) {
      const c = this.meta.colourings[index];
      if (!c) return;
      this.colouring = c;
      this.points.setColouring(this.a[c.key] || new Uint16Array(this.n), c.palette);
      const legend = $('legend');
      legend.replaceChildren();
      const shown = c.legend.length > 31 ? c.legend.slice(0, 30) : c.legend;
      for (const [label, colour, songs] of shown) {
        const item = element('li');
        const swatch = element('span', '', 'swatch');
        swatch.style.background = colour;
        item.append(swatch, element('span', label));
        if (songs !== null) item.append(element('span', ' ' + songs.toLocaleString('en-US'), 'count'));
        legend.append(item);
      }
      if (shown.length < c.legend.length) legend.append(element('li', `… and ${c.legend.length - shown.length} more`));
      this.requestDraw();
    }

    hover(song, sx, sy) {
      this.hovered = song;
      const tip = this.tooltip;
      if (song < 0) {
        tip.hidden = true;
      } else {
        tip.replaceChildren(element('strong', this.title(song)), element('div', this.artistName(this.artistOf[song])), element('div', this.describe(song), 'small'));
        tip.hidden = false;
        tip.style.left = Math.min(sx + 14, this.view.width - 260) + 'px';
        tip.style.top = sy + 14 + 'px';
      }
      this.drawMarks();
    }

    // First genre, clusters and length of a song.
    describe(song) {
      const clusters = this.meta.colourings
        .filter((c) => ['by_hdbscan', 'by_kmeans', 'by_dbscan'].includes(c.key))
        .map((c) => c.title.split(' ')[0] + ': ' + c.legend[this.a[c.key][song]][0]);
      return [this.genre(song), ...clusters, duration(this.a.duration[song])].join(' · ');
    }

    recommendations(song) {
      const recs = this.meta.recommendations;
      if (!recs) return [];
      const decodeDistance = distanceDecoder(recs.scale);
      const out = [];
      let code = 0;
      for (let r = 0; r < recs.k; r++) {
        const other = this.a.rec_song[r * this.n + song];
        code = (code + this.a.rec_distance_steps[r * this.n + song]) & 0xffff;
        if (other !== NONE) out.push({ song: other, rank: r + 1, distance: decodeDistance(code) });
      }
      return out;
    }

    similarArtists(artist, relation) {
      const info = this.meta.similarArtists;
      if (!info) return [];
      const decodeDistance = distanceDecoder(info.scale);
      const [others, codes] = relation === 'nearest' ? [this.a.near_artist, this.a.near_distance] : [this.a.far_artist, this.a.far_distance];
      const out = [];
      for (let r = 0; r < info.k; r++) {
        const other = others[artist * info.k + r];
        if (other !== NONE) out.push({ artist: other, rank: r + 1, distance: decodeDistance(codes[artist * info.k + r]) });
      }
      return out;
    }

    select(song) {
      this.selected = song;
      const detail = $('detail');
      detail.replaceChildren();
      if (song >= 0) {
        const artist = this.artistOf[song];
        const songs = this.a.artist_start[artist + 1] - this.a.artist_start[artist];
        detail.append(element('h2', this.title(song), 'selected-title'), element('p', this.artistName(artist), 'selected-artist'), element('p', this.describe(song), 'small'));
        detail.append(element('h3', 'Recommendations'));
        const recs = this.recommendations(song);
        if (recs.length === 0) {
          detail.append(element('p', this.meta.recommendations ? 'No recommendations are stored for this song (added after `timbral similarity` ran?).' : 'No recommendations table.', 'notice'));
        } else {
          const table = element('table', undefined, 'recommendations');
          const head = element('tr');
          for (const h of ['rank', 'song', 'artist', 'distance']) head.append(element('th', h));
          table.append(head);
          for (const { song: other, rank, distance } of recs) {
            const row = element('tr');
            row.append(element('td', String(rank)), this.songButton(other), element('td', this.artistName(this.artistOf[other])), element('td', num(distance), 'num'));
            table.append(row);
          }
          detail.append(table);
        }
        detail.append(element('p', `${songs.toLocaleString('en-US')} song(s) by this artist, marked with squares.`, 'artist-songs'));
        for (const relation of ['nearest', 'farthest']) {
          const list = this.similarArtists(artist, relation);
          detail.append(element('h3', relation === 'nearest' ? 'Nearest artists' : 'Farthest artists'));
          const ol = element('ol', undefined, relation + '-artists');
          for (const { artist: other, distance } of list) ol.append(element('li', `${this.artistName(other)} (${num(distance)})`));
          if (list.length === 0) ol.append(element('li', 'none stored'));
          detail.append(ol);
        }
      }
      this.drawMarks();
    }

    songButton(song) {
      const cell = element('td');
      const button = element('button', this.title(song), 'link');
      button.addEventListener('click', () => this.jumpTo(song));
      cell.append(button);
      return cell;
    }

    // Centres the map on a song, zoomed in.
    centreOn(song) {
      this.view.cx = this.a.x[song] / QUANT;
      this.view.cy = this.a.y[song] / QUANT;
      this.view.ppu = Math.max(this.view.ppu, this.fullPpu * 8);
      this.requestDraw();
    }
    jumpTo(song) {
      this.centreOn(song);
      this.select(song);
    }

    search(text) {
      const query = foldCase(text.trim());
      this.matches.fill(0);
      let count = 0;
      if (query) {
        const mark = (i) => {
          if (!this.matches[i]) {
            this.matches[i] = 1;
            count++;
          }
        };
        this.strings.each(query, this.n + this.artists, (s) => {
          if (s < this.n) {
            mark(s);
          } else {
            const a = s - this.n;
            for (let i = this.a.artist_start[a]; i < this.a.artist_start[a + 1]; i++) mark(i);
          }
        });
      }
      this.matchCount = count;
      this.searching = query.length > 0;
      this.nextMatch = 0;
      const songs = new Uint32Array(count);
      for (let i = 0, k = 0; k < count; i++) if (this.matches[i]) songs[k++] = i;
      this.points.setMatches(songs);
      $('search-count').textContent = query ? `${count.toLocaleString('en-US')} song(s) match` : '';
      const list = $('search-results');
      list.replaceChildren();
      let shown = 0;
      for (let i = 0; i < this.n && shown < 100 && count > 0; i++) {
        if (!this.matches[i]) continue;
        const item = element('li');
        const button = element('button', this.title(i), 'link');
        button.addEventListener('click', () => this.jumpTo(i));
        item.append(button, element('span', ' — ' + this.artistName(this.artistOf[i]), 'small'));
        list.append(item);
        shown++;
      }
      if (count > shown) list.append(element('li', `… ${(count - shown).toLocaleString('en-US')} more on the map`, 'small'));
      this.requestDraw();
    }

    // Enter in the search box: the next match, in page order.
    jumpToNextMatch() {
      if (this.matchCount === 0) return;
      for (let k = 0; k < this.n; k++) {
        const i = (this.nextMatch + k) % this.n;
        if (this.matches[i]) {
          this.nextMatch = i + 1;
          this.jumpTo(i);
          return;
        }
      }
    }
  }

  // ---- self-test and benchmark -----------------------------------------------------------
  // `explorer.html#selftest&hover=TITLE&search=TEXT&click=TITLE` drives the page through its
  // own event handlers (synthetic mouse and input events) and writes what the page then shows
  // into <pre id="selftest">, for tests/explorer.rs; `&bench=N` adds timings of N hovers over
  // the whole map and of each search (`|` separates several).

  function songByTitle(app, title) {
    for (let i = 0; i < app.n; i++) if (app.title(i) === title) return i;
    throw new Error('no song titled ' + title);
  }

  function mouse(app, type, song) {
    const rect = app.marks.getBoundingClientRect();
    const [sx, sy] = app.toScreen(song);
    app.marks.dispatchEvent(new MouseEvent(type, { clientX: rect.left + sx, clientY: rect.top + sy, bubbles: true }));
  }

  // Milliseconds from the action to its frame finished on the GPU (earlier frames finished first).
  function timed(app, action) {
    app.points.finish();
    const start = performance.now();
    action();
    if (app.pending) app.drawNow();
    app.points.finish();
    return performance.now() - start;
  }

  function selftest(app, params, readyMs, phases) {
    const out = { songs: app.n, drawn: app.points.drawn, readyMs, colourings: {} };
    Object.assign(out, phases);
    out.drawMs = timed(app, () => {
      app.points.invalidate();
      app.drawNow();
    });
    if (params.has('hover')) {
      const song = songByTitle(app, params.get('hover'));
      app.centreOn(song);
      app.drawNow();
      out.hoverMs = timed(app, () => mouse(app, 'mousemove', song));
      out.tooltip = app.tooltip.hidden ? null : app.tooltip.firstChild.textContent;
    }
    if (params.has('search')) {
      out.searches = params.get('search').split('|').map((query) => {
        const box = $('search');
        box.value = query;
        const ms = timed(app, () => box.dispatchEvent(new Event('input')));
        const titles = Array.from($('search-results').querySelectorAll('button'), (b) => b.textContent);
        return { query, ms, count: app.matchCount, shown: $('search-count').textContent, titles };
      });
    }
    if (params.has('click')) {
      const song = songByTitle(app, params.get('click'));
      app.centreOn(song);
      app.drawNow();
      out.clickMs = timed(app, () => mouse(app, 'click', song));
      const rows = Array.from(document.querySelectorAll('#detail table.recommendations tr')).slice(1);
      out.selected = document.querySelector('#detail .selected-title')?.textContent ?? null;
      out.recommendations = rows.map((tr) => Array.from(tr.cells, (td) => td.textContent));
      out.artistSongs = document.querySelector('#detail .artist-songs')?.textContent ?? null;
      out.nearestArtists = Array.from(document.querySelectorAll('#detail .nearest-artists li'), (li) => li.textContent);
      out.farthestArtists = Array.from(document.querySelectorAll('#detail .farthest-artists li'), (li) => li.textContent);
    }
    const select = $('colouring');
    for (const option of select.options) {
      select.value = option.value;
      select.dispatchEvent(new Event('change'));
      out.colourings[option.textContent] = Array.from($('legend').children, (li) => li.textContent);
    }
    // Back to the first colouring and the whole map, the selection kept (for screenshots).
    select.value = '0';
    select.dispatchEvent(new Event('change'));
    app.fit();
    app.drawNow();
    if (params.has('bench')) {
      const box = $('search');
      box.value = '';
      box.dispatchEvent(new Event('input'));
      app.drawNow();
      const hovers = [];
      let seed = 12345;
      for (let k = 0; k < Number(params.get('bench')); k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const song = seed % app.n;
        hovers.push(timed(app, () => mouse(app, 'mousemove', song)));
      }
      hovers.sort((a, b) => a - b);
      out.hoverMedianMs = hovers[Math.floor(hovers.length / 2)];
      out.hoverMaxMs = hovers[hovers.length - 1];
    }
    out.errors = errors;
    const report = $('selftest');
    report.textContent = JSON.stringify(out);
    report.setAttribute('data-done', '1');
  }

  async function main() {
    const status = $('status');
    try {
      const phases = { scriptStartMs: performance.now() };
      const { meta, arrays } = await decode();
      phases.decodedMs = performance.now();
      const app = new Explorer(meta, arrays);
      phases.indexedMs = performance.now();
      app.drawNow();
      app.points.finish();
      const readyMs = performance.now();
      status.hidden = true;
      if (location.hash.startsWith('#selftest')) selftest(app, new URLSearchParams(location.hash.slice(1)), readyMs, phases);
    } catch (err) {
      status.textContent = 'The explorer could not start: ' + err.message;
      errors.push(String(err && err.stack ? err.stack : err));
      const report = $('selftest');
      report.textContent = JSON.stringify({ errors });
      report.setAttribute('data-done', '1');
    }
  }

  main();
})();
