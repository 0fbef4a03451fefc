using System.Security.Cryptography;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.EfCore.Tests.Auditing.Integrity;

/// <summary>The development signer: an owner-only PEM key created on first use, verifiable from its public key alone.</summary>
public sealed class LocalDevelopmentCheckpointSignerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-signer-").FullName;

    private string KeyPath => Path.Combine(_directory, "keys", "audit-signing.pem");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void OpenOrCreate_NoFile_CreatesAnOwnerOnlyPemPrivateKey()
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);

        Assert.True(File.Exists(KeyPath));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(KeyPath), StringComparison.Ordinal);
        Assert.StartsWith(LocalDevelopmentCheckpointSigner.KeyIdPrefix, signer.KeyId, StringComparison.Ordinal);
        Assert.Equal(Path.GetFullPath(KeyPath), signer.FilePath);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(KeyPath)!, "*.tmp"));
    }

    [Fact]
    public void OpenOrCreate_ExistingFile_ReusesTheSameKey()
    {
        string keyId;
        byte[] signature;
        using (var first = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath))
        {
            keyId = first.KeyId;
            signature = first.Sign("checkpoint"u8);
        }

        using var second = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);

        Assert.Equal(keyId, second.KeyId);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(second.ExportSubjectPublicKeyInfo(), out _);
        Assert.True(key.VerifyData("checkpoint"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public async Task SignAsync_Checkpoint_VerifiesWithTheExportedPublicKeyPemAndNotAnotherKey()
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath);
        using var other = LocalDevelopmentCheckpointSigner.OpenOrCreate(Path.Combine(_directory, "other.pem"));
        byte[] head = RandomNumberGenerator.GetBytes(32);
        DateTimeOffset at = AuditStore.Start;
        byte[] signature = await signer.SignAsync(AuditCheckpoint.SignedBytes(5, head, at));
        var checkpoint = new AuditCheckpoint(5, head, at, signer.KeyId, signature, "test");

        using var trusted = CheckpointSignatureVerifier.FromPem(signer.ExportPublicKeyPem(), "signer.pub");
        using var untrusted = CheckpointSignatureVerifier.FromPem(other.ExportPublicKeyPem(), "other.pub");

        Assert.Equal(64, signature.Length);
        Assert.True(trusted.IsValid(checkpoint));
        Assert.False(untrusted.IsValid(checkpoint));
        Assert.False(trusted.IsValid(checkpoint with { Position = 6 }));
        Assert.False(trusted.IsValid(checkpoint with { CreatedAt = at.AddTicks(10) }));
        Assert.False(trusted.IsValid(checkpoint with { HeadHash = RandomNumberGenerator.GetBytes(32) }));
    }

    [Fact]
    public void OpenOrCreate_FileReadableByOthers_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using (LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath))
        {
        }

        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var error = Assert.Throws<InvalidOperationException>(() => LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath));
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOrCreate_PublicKeyOnlyOrGarbage_IsRefused()
    {
        string publicOnly = Path.Combine(_directory, "public.pem");
        using (var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath))
        {
            File.WriteAllText(publicOnly, signer.ExportPublicKeyPem());
        }

        string garbage = Path.Combine(_directory, "garbage.pem");
        File.WriteAllText(garbage, "not a key");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(publicOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(garbage, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Assert.Contains("not a development signing key", Assert.Throws<InvalidOperationException>(() => LocalDevelopmentCheckpointSigner.OpenOrCreate(publicOnly)).Message, StringComparison.Ordinal);
        Assert.Contains("not a development signing key", Assert.Throws<InvalidOperationException>(() => LocalDevelopmentCheckpointSigner.OpenOrCreate(garbage)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPem_PrivateKeyOrNoKey_IsRefusedWithTheFix()
    {
        using (LocalDevelopmentCheckpointSigner.OpenOrCreate(KeyPath))
        {
        }

        var privateKey = Assert.Throws<InvalidOperationException>(() => CheckpointSignatureVerifier.FromPem(File.ReadAllText(KeyPath), "key.pem"));
        var nothing = Assert.Throws<InvalidOperationException>(() => CheckpointSignatureVerifier.FromPem("hello", "empty.pem"));

        Assert.Contains("hipaa audit public-key", privateKey.Message, StringComparison.Ordinal);
        Assert.Contains("no PEM public key", nothing.Message, StringComparison.Ordinal);
    }
}
