using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Portal.Core.Data.Sources;

/// <summary>Opening of input files: gzip is detected by its magic bytes, text is UTF-8 with or without BOM.</summary>
public static class SourceFile
{
    /// <summary>Opens <paramref name="path"/> as text, decompressing gzip when the file starts with 1F 8B.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static TextReader OpenText(string path) => OpenText(File.OpenRead(path));

    /// <summary>Wraps <paramref name="stream"/> (seekable or not) as UTF-8 text, decompressing gzip when it starts with 1F 8B.</summary>
    public static TextReader OpenText(Stream stream)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        var head = new byte[2];
        var read = buffered.Read(head, 0, 2);
        Stream body = new PrefixStream(head.AsSpan(0, read).ToArray(), buffered);
        if (read == 2 && head[0] == 0x1f && head[1] == 0x8b)
            body = new GZipStream(body, CompressionMode.Decompress);
        return new StreamReader(body, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>SHA-256 of the file's bytes as lower-case hex (64 characters).</summary>
    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>A stream that first returns some already-read bytes, then the rest of another stream.</summary>
    private sealed class PrefixStream(byte[] prefix, Stream rest) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos < prefix.Length)
            {
                var n = Math.Min(count, prefix.Length - _pos);
                Array.Copy(prefix, _pos, buffer, offset, n);
                _pos += n;
                return n;
            }
            return rest.Read(buffer, offset, count);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) rest.Dispose(); base.Dispose(disposing); }
    }
}
