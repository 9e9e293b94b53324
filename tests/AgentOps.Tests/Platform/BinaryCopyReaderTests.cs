using System.Buffers.Binary;
using System.Text;
using AgentOps.Platform.Database;

namespace AgentOps.Tests.Platform;

/// <summary>The binary COPY reader over hand-made streams (the export tests run it against the real Postgres).</summary>
public class BinaryCopyReaderTests
{
    private static byte[] Copy(params byte[][] rows)
    {
        var s = new MemoryStream();
        s.Write([.. "PGCOPY\n"u8, 0xff, .. "\r\n\0"u8]); // the signature: 11 bytes
        s.Write(new byte[4]); // flags
        Int32(s, 3); // a header extension of 3 bytes, to be skipped
        s.Write("xyz"u8);
        foreach (var row in rows) s.Write(row);
        s.Write([0xff, 0xff]); // trailer
        return s.ToArray();
    }

    private static void Int32(Stream s, int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32BigEndian(b, v); s.Write(b); }

    /// <summary>A row of fields; null is SQL NULL.</summary>
    private static byte[] Row(params byte[]?[] fields)
    {
        var s = new MemoryStream();
        s.Write([0, (byte)fields.Length]);
        foreach (var f in fields)
        {
            Int32(s, f?.Length ?? -1);
            if (f is not null) s.Write(f);
        }
        return s.ToArray();
    }

    private static byte[] Be64(long v) { var b = new byte[8]; BinaryPrimitives.WriteInt64BigEndian(b, v); return b; }

    private static byte[] TextArray(params string?[] items)
    {
        var s = new MemoryStream();
        Int32(s, 1); Int32(s, items.Any(i => i is null) ? 1 : 0); Int32(s, 25); Int32(s, items.Length); Int32(s, 1);
        foreach (var item in items)
        {
            Int32(s, item is null ? -1 : Encoding.UTF8.GetByteCount(item));
            if (item is not null) s.Write(Encoding.UTF8.GetBytes(item));
        }
        return s.ToArray();
    }

    /// <summary>Returns at most chunk bytes per read, so rows and the header arrive in pieces.</summary>
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], ct);
    }

    private static async Task<List<string>> ReadAllAsync(Stream stream)
    {
        using var reader = new BinaryCopyReader(stream);
        var seen = new List<string>();
        while (await reader.ReadAsync(default))
        {
            var row = reader.Current;
            row.Next(out var text);
            var hasNumber = row.Next(out var number);
            row.Next(out var array);
            var items = new List<string>();
            var elements = BinaryRow.Elements(array);
            while (elements.Next(out var e, out var isNull)) items.Add(isNull ? "<null>" : Encoding.UTF8.GetString(e));
            seen.Add($"{Encoding.UTF8.GetString(text)}|{(hasNumber ? BinaryRow.Int64(number) : "NULL")}|{string.Join(",", items)}");
        }
        return seen;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1 << 20)]
    public async Task Rows_arriving_in_any_pieces_read_the_same(int chunk)
    {
        var big = new string('é', 200_000); // 400 KB: larger than the starting buffer
        var data = Copy(
            Row("a 'quoted' \\ \"text\" ✓"u8.ToArray(), Be64(-42), TextArray("x", null, "")),
            Row([], null, TextArray()),
            Row(Encoding.UTF8.GetBytes(big), Be64(long.MaxValue), TextArray(big)));
        var rows = await ReadAllAsync(new Trickle(data, chunk));
        Assert.Equal(["a 'quoted' \\ \"text\" ✓|-42|x,<null>,", "|NULL|", $"{big}|{long.MaxValue}|{big}"], rows);
    }

    [Fact]
    public async Task A_stream_cut_inside_a_row_or_not_a_copy_is_an_error()
    {
        var data = Copy(Row("abc"u8.ToArray(), Be64(1), TextArray()));
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(new MemoryStream(data[..^5])));
        var notCopy = (byte[])data.Clone();
        notCopy[0] = (byte)'X';
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(new MemoryStream(notCopy)));
        Assert.Empty(await ReadAllAsync(new MemoryStream(Copy())));
    }

    [Fact]
    public void Values_are_read_at_their_exact_width_and_timestamps_from_2000()
    {
        Assert.Equal(BinaryRow.PostgresEpochUnixMicros + 7, BinaryRow.UnixMicros(Be64(7)));
        Assert.Equal(946_684_800L, BinaryRow.PostgresEpochUnixMicros / 1_000_000); // 2000-01-01T00:00:00Z
        Assert.Throws<InvalidDataException>(() => BinaryRow.UnixMicros(Be64(long.MaxValue))); // 'infinity'
        Assert.Throws<InvalidDataException>(() => BinaryRow.Int32(Be64(1))); // an int8 read as int4
        Assert.Throws<InvalidDataException>(() => BinaryRow.Int64([0, 0, 0, 1]));
        var guid = Guid.Parse("01a201c8-351e-7a7d-ae18-7cb0a9ca1f67");
        var bytes = new byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        Assert.Equal(guid, BinaryRow.Uuid(bytes));
    }
}
