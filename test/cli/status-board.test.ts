import t from 'tap';
import { StatusBoard, fit } from '../../src/cli/status-board.js';

function terminal(columns: number) {
  const writes: string[] = [];
  return { writes, out: { isTTY: true, columns, write: (s: string) => void writes.push(s) } };
}

t.test('fit cuts a line to the width with an ellipsis, counting characters, not bytes', async (t) => {
  t.equal(fit('site  copying', 20), 'site  copying');
  t.equal(fit('0123456789', 5), '0123…');
  t.equal(fit('métadonnées', 4), 'mét…');
});

t.test('a terminal that reports 0 columns is drawn 79 wide', async (t) => {
  const { writes, out } = terminal(0);
  new StatusBoard(out).draw(['x'.repeat(100)]);
  t.equal([...writes[0]!].length, 79);
});

t.test('the board redraws in place, cut to the terminal, with messages above it', async (t) => {
  const { writes, out } = terminal(21);
  const board = new StatusBoard(out);
  board.draw(['site      comparing, 8 seen, 4 copied', 'uploads   starting']);
  t.same(writes, ['site      comparing…\nuploads   starting'], 'one column short of the edge, nothing wraps');
  writes.length = 0;
  board.message('sync site (forward) succeeded');
  t.same(writes, ['\r\x1b[1A\x1b[J', 'sync site (forward) succeeded\n', 'site      comparing…\nuploads   starting'], 'erased from its first line, the message, then the same lines again');
  writes.length = 0;
  board.draw(['site      succeeded']);
  board.close();
  t.same(writes, ['\r\x1b[1A\x1b[J', 'site      succeeded', '\r\x1b[J'], 'a one-line board is erased without moving up');
  writes.length = 0;
  board.close();
  board.message('after the end');
  t.same(writes, ['after the end\n'], 'once closed, it writes nothing of its own');
});
