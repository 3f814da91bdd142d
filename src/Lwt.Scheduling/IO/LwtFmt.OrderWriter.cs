// The TextWriter behind the formatters LwtFmt makes itself (OfChannel, MakeStream): the
// .NET stand-in for the Format.formatter that Lwt builds with Format.make_formatter
// out_string flush. Where OCaml's Format calls out_string, this writer hands one
// LwtFmt.Order.String to its sink; where Format calls flush, one Order.Flush.
//
// One order per write call: Write(string) gives the string itself (no copy); the char
// array and span overloads copy their range, because the caller may reuse the memory
// before the order is carried out. LwtFmt's printing functions format first and write
// once, so a printf is one order. Empty writes give no order (there is nothing to write).
// A write may end inside a surrogate pair (Write(char) with each half, the chunks of
// Write(StringBuilder)); its order keeps it so, as the writes were made, and WriteOrder
// joins the pair again on the channel, so the writer keeps nothing back itself.
//
// Culture and newline. FormatProvider is the invariant culture, as LwtFmt's printing
// functions, so writer.Write("{0}", 1.5) agrees with FPrintf. NewLine is "\n", the line end
// of Lwt_io and of OCaml's Format, whatever the system's.
//
// The async methods. TextWriter's own versions run the synchronous call on the thread
// pool; the sink (a queue, a stream) belongs to the loop's thread, so here they run it on
// the calling thread and return a completed task, as StringWriter does.
//
// Dispose. A disposed writer throws ObjectDisposedException on every write and flush, and
// Dispose runs the writer's close action once: MakeStream's ends the stream.

using System.Globalization;
using System.Text;

namespace Lwt;

public static partial class LwtFmt
{
    private sealed class OrderWriter : TextWriter
    {
        private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

        private readonly Action<Order> _sink;
        private readonly Action? _onClose;
        private bool _disposed;

        internal OrderWriter(Action<Order> sink, Action? onClose)
            : base(CultureInfo.InvariantCulture)
        {
            _sink = sink;
            _onClose = onClose;
            CoreNewLine = ['\n'];
        }

        public override Encoding Encoding => s_utf8;

        private void Emit(string text)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (text.Length != 0) _sink(Order.Whole(text));
        }

        public override void Write(char value) => Emit(value.ToString());

        public override void Write(string? value) => Emit(value ?? "");

        public override void Write(char[] buffer, int index, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            Emit(new string(buffer, index, count));
        }

        public override void Write(ReadOnlySpan<char> buffer) => Emit(new string(buffer));

        // The base class writes the text and the newline separately: two orders for one line.
        public override void WriteLine(string? value) => Emit(string.Concat(value, NewLine));

        public override void WriteLine(char value) => Emit(string.Concat(new ReadOnlySpan<char>(in value), NewLine));

        public override void WriteLine(char[] buffer, int index, int count)
        {
            ArgumentNullException.ThrowIfNull(buffer);
            WriteLine(buffer.AsSpan(index, count));
        }

        public override void WriteLine(ReadOnlySpan<char> buffer) => Emit(string.Concat(buffer, NewLine));

        public override void Flush()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _sink(Order.Flush);
        }

        public override Task WriteAsync(char value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(char[] buffer, int index, int count)
        {
            Write(buffer, index, count);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            Write(buffer.Span);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync()
        {
            WriteLine();
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(char value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(char[] buffer, int index, int count)
        {
            WriteLine(buffer, index, count);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            WriteLine(buffer.Span);
            return Task.CompletedTask;
        }

        public override Task FlushAsync()
        {
            Flush();
            return Task.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            Flush();
            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                _onClose?.Invoke();
            }

            base.Dispose(disposing);
        }
    }
}
