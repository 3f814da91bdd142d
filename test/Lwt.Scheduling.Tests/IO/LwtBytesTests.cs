using System.Net.Sockets;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>LwtBytes (Lwt_bytes): buffers as Memory&lt;byte&gt;, Lwt's checked ranges, I/O on a range.</summary>
public class LwtBytesTests
{
    [Fact]
    public void Create_Get_Set_Length()
    {
        Memory<byte> b = LwtBytes.Create(4);
        Assert.Equal(4, LwtBytes.Length(b));
        Assert.Equal(0, LwtBytes.Get(b, 3));
        LwtBytes.Set(b, 3, 9);
        Assert.Equal(9, LwtBytes.Get(b, 3));
        Assert.Equal(0, LwtBytes.Length(LwtBytes.Create(0)));
        Assert.Throws<ArgumentOutOfRangeException>("size", () => LwtBytes.Create(-1));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.Get(b, 4));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.Get(b, -1));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.Set(b, 4, 0));
    }

    [Fact]
    public void Unsafe_get_and_set_are_the_checked_ones()
    {
        Memory<byte> b = LwtBytes.Create(4);
        LwtBytes.UnsafeSet(b, 2, 7);
        Assert.Equal(7, LwtBytes.UnsafeGet(b, 2));
        Assert.Equal(7, LwtBytes.Get(b, 2));
        // Lwt would touch memory past the Bigarray here; a Memory<byte> cannot, so it throws.
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.UnsafeGet(b, 4));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.UnsafeGet(b, -1));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.UnsafeSet(b, 4, 0));
        Assert.Equal(new byte[] { 0, 0, 7, 0 }, b.ToArray()); // the refused set wrote nothing
    }

    [Fact]
    public void Unsafe_blits_copy_as_the_checked_ones_and_check_their_ranges()
    {
        Memory<byte> b = LwtBytes.OfBytes(new byte[] { 1, 2, 3, 4, 5, 6 });
        LwtBytes.UnsafeBlit(b, 0, b, 2, 4); // overlapping: as if the source were copied first
        Assert.Equal(new byte[] { 1, 2, 1, 2, 3, 4 }, b.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeBlit(b, 3, b, 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeBlit(b, 0, b, -1, 1));

        Memory<byte> d = LwtBytes.Create(4);
        LwtBytes.UnsafeBlitFromBytes(new byte[] { 9, 8, 7 }, 1, d, 0, 2);
        Assert.Equal(new byte[] { 8, 7, 0, 0 }, d.ToArray());
        LwtBytes.UnsafeBlitFromString("héllo", 1, d, 1, 2); // "é" is two UTF-8 bytes
        Assert.Equal("é", LwtBytes.ToString(d.Slice(1, 2)));
        var target = new byte[3];
        LwtBytes.UnsafeBlitToBytes(d, 1, target, 1, 2);
        Assert.Equal(new byte[] { 0, 0xC3, 0xA9 }, target);

        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeBlitFromBytes(new byte[2], 0, d, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeBlitFromString("ab", 0, d, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtBytes.UnsafeBlitToBytes(d, 0, target, 2, 2));
        Assert.Throws<ArgumentNullException>("source", () => LwtBytes.UnsafeBlitFromBytes(null!, 0, d, 0, 0));
        Assert.Throws<ArgumentNullException>("source", () => LwtBytes.UnsafeBlitFromString(null!, 0, d, 0, 0));
        Assert.Throws<ArgumentNullException>("destination", () => LwtBytes.UnsafeBlitToBytes(d, 0, null!, 0, 0));
    }

    [Fact]
    public void Conversions_to_and_from_bytes_and_strings_copy()
    {
        byte[] source = { 1, 2, 3 };
        Memory<byte> b = LwtBytes.OfBytes(source);
        source[0] = 99;
        Assert.Equal(new byte[] { 1, 2, 3 }, LwtBytes.ToBytes(b));
        Memory<byte> text = LwtBytes.OfString("héllo");
        Assert.Equal(6, text.Length); // UTF-8
        Assert.Equal("héllo", LwtBytes.ToString(text));
        Assert.Throws<ArgumentNullException>("bytes", () => LwtBytes.OfBytes(null!));
        Assert.Throws<ArgumentNullException>("text", () => LwtBytes.OfString(null!));
    }

    [Fact]
    public void Blits_copy_ranges_and_check_them()
    {
        Memory<byte> b = LwtBytes.OfString("abcdef");
        LwtBytes.Blit(b, 0, b, 2, 4); // overlapping: as if the source were copied first
        Assert.Equal("ababcd", LwtBytes.ToString(b));
        LwtBytes.BlitFromString("XYZ", 1, b, 0, 2);
        Assert.Equal("YZabcd", LwtBytes.ToString(b));
        LwtBytes.BlitFromBytes(new byte[] { (byte)'q' }, 0, b, 5, 1);
        Assert.Equal("YZabcq", LwtBytes.ToString(b));
        var dst = new byte[3];
        LwtBytes.BlitToBytes(b, 3, dst, 0, 3);
        Assert.Equal("bcq"u8.ToArray(), dst);
        LwtBytes.Blit(b, 6, b, 0, 0); // empty range at the end is fine

        Assert.Throws<ArgumentOutOfRangeException>("sourceOffset", () => LwtBytes.Blit(b, 5, b, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>("destinationOffset", () => LwtBytes.Blit(b, 0, b, 5, 2));
        Assert.Throws<ArgumentOutOfRangeException>("sourceOffset", () => LwtBytes.Blit(b, -1, b, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("length", () => LwtBytes.Blit(b, 0, b, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>("sourceOffset", () => LwtBytes.BlitFromString("ab", 1, b, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>("destinationOffset", () => LwtBytes.BlitToBytes(b, 0, dst, 2, 2));
        Assert.Throws<ArgumentNullException>("source", () => LwtBytes.BlitFromBytes(null!, 0, b, 0, 0));
        Assert.Throws<ArgumentNullException>("destination", () => LwtBytes.BlitToBytes(b, 0, null!, 0, 0));
        Assert.Equal("YZabcq", LwtBytes.ToString(b)); // nothing written by a refused blit
    }

    [Fact]
    public void Proxy_shares_memory_Extract_and_Copy_do_not()
    {
        Memory<byte> b = LwtBytes.OfString("abcdef");
        Memory<byte> proxy = LwtBytes.Proxy(b, 2, 3);
        Memory<byte> extract = LwtBytes.Extract(b, 2, 3);
        Memory<byte> copy = LwtBytes.Copy(b);
        LwtBytes.Set(proxy, 0, (byte)'X');
        Assert.Equal("abXdef", LwtBytes.ToString(b));
        Assert.Equal("cde", LwtBytes.ToString(extract));
        Assert.Equal("abcdef", LwtBytes.ToString(copy));
        LwtBytes.Fill(b, 1, 2, (byte)'-');
        Assert.Equal("a--def", LwtBytes.ToString(b));
        Assert.Equal("-de", LwtBytes.ToString(proxy));
        Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Proxy(b, 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Extract(b, 7, 0));
        Assert.Throws<ArgumentOutOfRangeException>("length", () => LwtBytes.Fill(b, 0, -1, 0));
    }

    [Fact]
    public void PageSize_is_a_power_of_two()
    {
        int size = LwtBytes.PageSize;
        Assert.True(size >= 4096 && (size & (size - 1)) == 0);
    }

    [SkippableFact]
    public void Read_and_Write_move_a_range_through_a_pipe()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a Unix pipe");
        string got = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            Memory<byte> src = LwtBytes.OfString("..hello..");
            Assert.Equal(5, await LwtBytes.Write(w, src, 2, 5));
            Memory<byte> dst = LwtBytes.Create(10);
            int n = await LwtBytes.Read(r, dst, 3, 7);
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Read(r, dst, 8, 3));
            Assert.Throws<ArgumentOutOfRangeException>("length", () => LwtBytes.Write(w, src, 0, -1));
            await LwtUnix.Close(r);
            await LwtUnix.Close(w);
            return LwtBytes.ToString(LwtBytes.Proxy(dst, 3, n));
        }));
        Assert.Equal("hello", got);
    }

    [SkippableFact]
    public void Send_Recv_and_datagrams_on_a_socket_pair()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses a Unix socket pair");
        (string stream, string datagram) = LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            Memory<byte> buf = LwtBytes.Create(8);
            await LwtBytes.Send(a, LwtBytes.OfString("xping"), 1, 4);
            int n = await LwtBytes.Recv(b, buf, 2, 6);
            string s1 = LwtBytes.ToString(LwtBytes.Proxy(buf, 2, n));
            await LwtUnix.Close(a);
            await LwtUnix.Close(b);

            var (c, d) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Dgram);
            await LwtBytes.Send(c, LwtBytes.OfString("dgram"), 0, 5);
            var (count, _) = await LwtBytes.RecvFrom(d, buf, 1, 7);
            string s2 = LwtBytes.ToString(LwtBytes.Proxy(buf, 1, count));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.RecvFrom(d, buf, 9, 0));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.SendTo(c, buf, 7, 2, new System.Net.IPEndPoint(0, 0)));
            await LwtUnix.Close(c);
            await LwtUnix.Close(d);
            return (s1, s2);
        }));
        Assert.Equal("ping", stream);
        Assert.Equal("dgram", datagram);
    }
}
