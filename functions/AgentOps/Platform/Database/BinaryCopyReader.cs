using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace AgentOps.Platform.Database;

/// <summary>
/// Reads the rows of a <c>COPY ... TO STDOUT (FORMAT binary)</c> stream as spans over its own bytes: no string, no
/// boxed value, no copy per field. Text arrives as the UTF-8 the database holds, so a caller that re-encodes rows (the
/// ClickHouse export writes JSON) skips the decode to UTF-16 and back that a data reader costs. Format:
/// https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
/// </summary>
public sealed class BinaryCopyReader(Stream stream) : IDisposable
{
    /// <summary>The buffer holds whole rows; it starts at this size and doubles for a larger row.</summary>
    private const int InitialBufferBytes = 256 * 1024;

    public static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0];
    private const int HeaderBytes = 11 + 4 + 4; // signature, flags, header extension length

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
    private int _start, _end, _rowLength;
    private bool _headerRead, _eof;

    /// <summary>The row <see cref="ReadAsync"/> moved to; valid until the next call.</summary>
    public BinaryRow Current => new(_buffer.AsSpan(_start, _rowLength));

    /// <summary>Moves to the next row; false at the end of the data.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        _start += _rowLength;
        _rowLength = 0;
        if (!_headerRead)
        {
            while (!TryReadHeader()) await FillAsync(ct);
            _headerRead = true;
        }
        while (true)
        {
            var length = MeasureRow(_buffer.AsSpan(_start, _end - _start));
            if (length == 0) return false; // the trailer
            if (length > 0) { _rowLength = length; return true; }
            await FillAsync(ct);
        }
    }

    private bool TryReadHeader()
    {
        var data = _buffer.AsSpan(_start, _end - _start);
        if (data.Length < HeaderBytes) return false;
        if (!data[..Signature.Length].SequenceEqual(Signature)) throw new InvalidDataException("Not a binary COPY stream.");
        var extension = BinaryPrimitives.ReadInt32BigEndian(data[15..]);
        if (data.Length < HeaderBytes + extension) return false;
        _start += HeaderBytes + extension;
        return true;
    }

    /// <summary>The byte length of the whole row at the start of data, 0 for the trailer, -1 if data holds only part of it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per row: see ClickHouseExport's HotPath
    private static int MeasureRow(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2) return -1;
        var fields = BinaryPrimitives.ReadInt16BigEndian(data);
        if (fields == -1) return 0;
        var at = 2;
        for (var i = 0; i < fields; i++)
        {
            if (data.Length < at + 4) return -1;
            var length = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
            at += 4 + Math.Max(length, 0); // -1: NULL, no bytes
            if (data.Length < at) return -1;
        }
        return at;
    }

    /// <summary>Reads more bytes after what is buffered, first moving the partial row to the front (or growing the buffer
    /// when that row fills it).</summary>
    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_eof) throw new InvalidDataException("The COPY stream ended inside a row.");
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_end, _start) = (_end - _start, 0);
        }
        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0) _eof = true;
        _end += read;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

/// <summary>One row of a binary COPY: its fields in order, each taken once with <see cref="Next"/>.</summary>
public ref struct BinaryRow(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at = 2; // after the field count

    /// <summary>Microseconds from 1970-01-01 to Postgres' epoch, 2000-01-01 (timestamps count from there).</summary>
    public const long PostgresEpochUnixMicros = 946_684_800_000_000;

    /// <summary>The next field's bytes; false (and empty) for NULL.</summary>
    public bool Next(out ReadOnlySpan<byte> value)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(_data[_at..]);
        _at += 4;
        if (length < 0) { value = default; return false; }
        value = _data.Slice(_at, length);
        _at += length;
        return true;
    }

    // The readers check the width, so a column whose type changed fails loudly instead of being misread.
    public static long Int64(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64BigEndian(Width(value, 8));
    public static int Int32(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt32BigEndian(Width(value, 4));
    public static double Float64(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadDoubleBigEndian(Width(value, 8));
    public static Guid Uuid(ReadOnlySpan<byte> value) => new(Width(value, 16), bigEndian: true);

    private static ReadOnlySpan<byte> Width(ReadOnlySpan<byte> value, int bytes) =>
        value.Length == bytes ? value : throw new InvalidDataException($"Expected a {bytes}-byte value, got {value.Length} bytes.");

    /// <summary>A timestamp(tz) as microseconds since 1970-01-01 UTC; infinity has no such value and is refused.</summary>
    public static long UnixMicros(ReadOnlySpan<byte> value)
    {
        var micros = Int64(value);
        if (micros is long.MaxValue or long.MinValue) throw new InvalidDataException("An infinite timestamp cannot be exported.");
        return micros + PostgresEpochUnixMicros;
    }

    /// <summary>The elements of a one-dimensional array of a variable-length type (text[]), NULL elements included.</summary>
    public static ArrayElements Elements(ReadOnlySpan<byte> value) => new(value);

    /// <summary>Array layout: dimensions, has-nulls flag, element type, (length, lower bound) per dimension, then the
    /// elements as (length, bytes), -1 for NULL. A multi-dimensional array's elements come in row-major order.</summary>
    public ref struct ArrayElements
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _at, _left;

        public ArrayElements(ReadOnlySpan<byte> data)
        {
            _data = data;
            var dimensions = BinaryPrimitives.ReadInt32BigEndian(data);
            _at = 12;
            _left = dimensions == 0 ? 0 : 1;
            for (var d = 0; d < dimensions; d++, _at += 8) _left *= BinaryPrimitives.ReadInt32BigEndian(data[_at..]);
        }

        /// <summary>The next element; false at the end. A NULL element is (true, isNull: true).</summary>
        public bool Next(out ReadOnlySpan<byte> element, out bool isNull)
        {
            element = default;
            isNull = false;
            if (_left == 0) return false;
            _left--;
            var length = BinaryPrimitives.ReadInt32BigEndian(_data[_at..]);
            _at += 4;
            if (length < 0) { isNull = true; return true; }
            element = _data.Slice(_at, length);
            _at += length;
            return true;
        }
    }
}
