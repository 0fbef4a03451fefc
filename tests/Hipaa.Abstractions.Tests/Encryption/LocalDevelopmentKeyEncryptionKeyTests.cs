using System.Runtime.Versioning;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Xunit;
using Hipaa.Encryption;
using Microsoft.Extensions.Logging;

namespace Hipaa.Tests.Encryption;

public sealed class LocalDevelopmentKeyEncryptionKeyTests : IDisposable
{
    private const string Algorithm = KeyWrapAlgorithm.AesGcmKeyWrap256;

    private readonly string _directory;
    private LocalDevelopmentKeyEncryptionKey? _propertyKek;

    public LocalDevelopmentKeyEncryptionKeyTests()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hipaa-devkey-tests-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(_directory);
    }

    /// <summary>One key per test instance (a property runs all its cases in one instance).</summary>
    private LocalDevelopmentKeyEncryptionKey PropertyKek =>
        _propertyKek ??= LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "property.key"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void OpenOrCreate_NewPath_CreatesA32ByteFileAndKeyIdWithoutTheKey()
    {
        string path = Path.Combine(_directory, "nested", "dev.key");

        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);

        byte[] stored = File.ReadAllBytes(path);
        Assert.Equal(32, stored.Length);
        Assert.Equal(path, kek.FilePath);
        Assert.Matches("^local-dev:[0-9a-f]{16}$", kek.KeyId);
        Assert.DoesNotContain(Convert.ToHexStringLower(stored)[..16], kek.KeyId, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void OpenOrCreate_NewFile_IsOwnerReadWriteOnly()
    {
        string path = Path.Combine(_directory, "dev.key");

        LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void OpenOrCreate_FileReadableByOthers_RefusesAndNamesTheFix()
    {
        string path = Path.Combine(_directory, "dev.key");
        LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var ex = Assert.Throws<InvalidOperationException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path));

        Assert.Contains("0644", ex.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void OpenOrCreate_FileWritableByGroup_Refuses()
    {
        string path = Path.Combine(_directory, "dev.key");
        LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);

        var ex = Assert.Throws<InvalidOperationException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path));

        Assert.Contains("0620", ex.Message, StringComparison.Ordinal);
    }

    [RootFact]
    [UnsupportedOSPlatform("windows")]
    public void OpenOrCreate_FileOwnedByAnotherUser_RefusesNamingTheFileAndTheFix()
    {
        string path = Path.Combine(_directory, "dev.key");
        var created = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        ChangeOwner(path, NobodyUserId); // mode stays 0600: only the owner is wrong

        var ex = Assert.Throws<InvalidOperationException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"owned by user id {NobodyUserId}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("user id 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"chown 0 '{path}' && chmod 600 '{path}'", ex.Message, StringComparison.Ordinal);

        ChangeOwner(path, 0); // the fix the message names
        Assert.Equal(created.KeyId, LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path).KeyId);
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void UnixFileOwner_FileThisProcessCreated_IsOwnedByItsEffectiveUser()
    {
        string path = Path.Combine(_directory, "own.key");
        LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        var mode = File.GetUnixFileMode(stream.SafeFileHandle);

        var read = UnixFileOwner.Read(stream.SafeFileHandle, mode);

        Assert.NotNull(read);
        Assert.Equal(read.Value.EffectiveUser, read.Value.FileOwner);
        Assert.Equal(Environment.IsPrivilegedProcess, read.Value.EffectiveUser == 0);
    }

    [UnixFact]
    [UnsupportedOSPlatform("windows")]
    public void UnixFileOwner_ModeThatDisagreesWithTheFile_IsNotTrusted()
    {
        string path = Path.Combine(_directory, "own.key");
        LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);

        // The answer is cross-checked against the mode the BCL read: one that disagrees means the layout is not understood.
        Assert.Null(UnixFileOwner.Read(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead));
    }

    [Fact]
    public void OpenOrCreate_FileOfWrongLength_Refuses()
    {
        string path = Path.Combine(_directory, "not-a-key.txt");
        File.WriteAllText(path, "hello");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var ex = Assert.Throws<InvalidOperationException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path));

        Assert.Contains("not a development key file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrapKey_ThenUnwrapKey_RoundTrips()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        byte[] wrapped = kek.WrapKey(Algorithm, dek);
        byte[] unwrapped = kek.UnwrapKey(Algorithm, wrapped);

        Assert.Equal(12 + 32 + 16, wrapped.Length);
        Assert.Equal(dek, unwrapped);
    }

    [Fact]
    public async Task WrapKeyAsync_ThenUnwrapKeyAsync_RoundTrips()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        byte[] wrapped = await kek.WrapKeyAsync(Algorithm, dek);
        byte[] unwrapped = await kek.UnwrapKeyAsync(Algorithm, wrapped);

        Assert.Equal(dek, unwrapped);
    }

    [Fact]
    public async Task WrapKeyAsync_CancelledToken_IsCancelled()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => kek.WrapKeyAsync(Algorithm, new byte[32], new CancellationToken(canceled: true)));
    }

    [Fact]
    public void WrapKey_SameKeyTwice_GivesDifferentOutputs()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] dek = RandomNumberGenerator.GetBytes(32);

        Assert.NotEqual(kek.WrapKey(Algorithm, dek), kek.WrapKey(Algorithm, dek));
    }

    [Fact]
    public void UnwrapKey_WithAnotherKeyFile_FailsWithCryptographicException()
    {
        var first = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "first.key"));
        var second = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "second.key"));
        byte[] wrapped = first.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));

        Assert.NotEqual(first.KeyId, second.KeyId);
        var ex = Assert.Throws<CryptographicException>(() => second.UnwrapKey(Algorithm, wrapped));
        Assert.Contains(second.KeyId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnwrapKey_Tampered_FailsWithCryptographicException()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] wrapped = kek.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));
        wrapped[20] ^= 0x01;

        var ex = Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped));

        Assert.Contains("failed authentication", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnwrapKey_Truncated_FailsWithCryptographicException()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] wrapped = kek.WrapKey(Algorithm, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped.AsMemory(0, 20)));
        var ex = Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, ReadOnlyMemory<byte>.Empty));
        Assert.Contains("too short", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CryptographicException>(() => kek.UnwrapKey(Algorithm, wrapped.AsMemory(0, wrapped.Length - 1)));
    }

    [Theory]
    [InlineData(KeyWrapAlgorithm.AesKeyWrap256)]
    [InlineData(KeyWrapAlgorithm.RsaOaep256)]
    [InlineData("a256gcmkw")]
    public void WrapKeyAndUnwrapKey_OtherAlgorithm_ThrowArgumentExceptionNamingTheSupportedOne(string algorithm)
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));
        byte[] wrapped = kek.WrapKey(Algorithm, new byte[32]);

        var wrapError = Assert.Throws<ArgumentException>(() => kek.WrapKey(algorithm, new byte[32]));
        var unwrapError = Assert.Throws<ArgumentException>(() => kek.UnwrapKey(algorithm, wrapped));

        Assert.Contains(KeyWrapAlgorithm.AesGcmKeyWrap256, wrapError.Message, StringComparison.Ordinal);
        Assert.Equal("algorithm", unwrapError.ParamName);
    }

    [Fact]
    public void Arguments_AreGuarded()
    {
        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"));

        Assert.ThrowsAny<ArgumentException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(" "));
        Assert.ThrowsAny<ArgumentException>(() => LocalDevelopmentKeyEncryptionKey.OpenOrCreate(null!));
        Assert.Throws<ArgumentNullException>(() => kek.WrapKey(null!, new byte[32]));
        Assert.Throws<ArgumentException>(() => kek.WrapKey(Algorithm, ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public void OpenOrCreate_SameFileAgain_GivesSameKeyIdAndUnwrapsEarlierOutput()
    {
        string path = Path.Combine(_directory, "dev.key");
        var first = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        byte[] dek = RandomNumberGenerator.GetBytes(32);
        byte[] wrapped = first.WrapKey(Algorithm, dek);

        var reopened = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);

        Assert.Equal(first.KeyId, reopened.KeyId);
        Assert.Equal(dek, reopened.UnwrapKey(Algorithm, wrapped));
    }

    [Fact]
    public async Task OpenOrCreate_ConcurrentFirstRuns_AllGetTheSameKey()
    {
        string path = Path.Combine(_directory, "race", "dev.key");
        using var start = new Barrier(8);

        LocalDevelopmentKeyEncryptionKey[] keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return LocalDevelopmentKeyEncryptionKey.OpenOrCreate(path);
        })));

        Assert.Single(keys.Select(k => k.KeyId).Distinct());
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void OpenOrCreate_LogsOneDevelopmentOnlyWarningWithStableEventId()
    {
        var logger = new RecordingLogger();

        var kek = LocalDevelopmentKeyEncryptionKey.OpenOrCreate(Path.Combine(_directory, "dev.key"), logger);
        byte[] wrapped = kek.WrapKey(Algorithm, new byte[32]);
        kek.UnwrapKey(Algorithm, wrapped);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(1108, entry.EventId.Id);
        Assert.Equal("LocalDevelopmentKeyInUse", entry.EventId.Name);
        Assert.Contains("DEVELOPMENT-ONLY", entry.Message, StringComparison.Ordinal);
        Assert.Contains(kek.KeyId, entry.Message, StringComparison.Ordinal);
    }

    [Property(MaxTest = 200)]
    public bool WrapKey_AnyKey_RoundTrips(NonEmptyArray<byte> dek)
    {
        byte[] key = dek.Get;
        byte[] wrapped = PropertyKek.WrapKey(Algorithm, key);
        return PropertyKek.UnwrapKey(Algorithm, wrapped).AsSpan().SequenceEqual(key);
    }

    [Property(MaxTest = 200)]
    public bool UnwrapKey_AnySingleBitFlip_IsRejected(NonEmptyArray<byte> dek, PositiveInt position)
    {
        byte[] wrapped = PropertyKek.WrapKey(Algorithm, dek.Get);
        int bit = position.Get % (wrapped.Length * 8);
        wrapped[bit / 8] ^= (byte)(1 << (bit % 8));
        try
        {
            PropertyKek.UnwrapKey(Algorithm, wrapped);
            return false;
        }
        catch (CryptographicException)
        {
            return true;
        }
    }

    /// <summary>The uid of <c>nobody</c> on Debian and most Linux distributions (any uid other than ours would do).</summary>
    private const uint NobodyUserId = 65534;

    /// <summary>chown(1): .NET has no API to change a file's owner.</summary>
    private static void ChangeOwner(string path, uint userId)
    {
        using var chown = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chown", [userId.ToString(System.Globalization.CultureInfo.InvariantCulture), path]) { UseShellExecute = false })!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>A fact that needs root: only root can give a file to another user. Skipped, visibly, otherwise.</summary>
    private sealed class RootFactAttribute : FactAttribute
    {
        public RootFactAttribute()
        {
            if (OperatingSystem.IsWindows())
            {
                Skip = "Unix file owners do not apply on Windows.";
            }
            else if (!Environment.IsPrivilegedProcess)
            {
                Skip = "Giving a file to another user (chown) needs root; this test run is not root.";
            }
        }
    }

    private sealed class UnixFactAttribute : FactAttribute
    {
        public UnixFactAttribute()
        {
            if (OperatingSystem.IsWindows())
            {
                Skip = "Unix file modes do not apply on Windows.";
            }
        }
    }

    private sealed record LogEntry(LogLevel Level, EventId EventId, string Message);

    private sealed class RecordingLogger : ILogger
    {
        public List<LogEntry> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception)));
    }
}
