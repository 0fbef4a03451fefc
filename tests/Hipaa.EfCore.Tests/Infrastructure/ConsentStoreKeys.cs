using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Policy;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>
/// One application instance's key ring over a test database's key store (on SQLite a file of its own), and the EF
/// consent store encrypted under it.
/// </summary>
internal sealed class ConsentStoreKeys
{
    private readonly TestDatabase _database;
    private readonly TimeProvider _time;

    public ConsentStoreKeys(TestDatabase database, TimeProvider time, IKeyEncryptionKey? kek = null)
    {
        _database = database;
        _time = time;
        var keyStore = new DbContextOptionsBuilder<KeyStoreDbContext>();
        database.UseForKeys(keyStore);
        Ring = new KeyRing(new EfDataKeyStore(keyStore.Options), kek ?? new CountingKeyEncryptionKey("kek-consents"), null, new KeyRingSettings(), time, NullLogger.Instance);
        Manager = new FieldEncryptionKeyManager(new FieldEncryptionRuntime(Ring, new FieldEncryptionOptions()));
    }

    public KeyRing Ring { get; }

    /// <summary>The key manager of the same key ring: its shreds take effect on this instance at once.</summary>
    public FieldEncryptionKeyManager Manager { get; }

    public ConsentCipher Cipher => new(Ring);

    public EfConsentStore Store(ILogger? logger = null, bool encryptPlaintextTables = false)
    {
        var options = new DbContextOptionsBuilder<ConsentStoreDbContext>();
        _database.Use(options);
        return new EfConsentStore(options.Options, Cipher, _time, logger ?? NullLogger.Instance) { EncryptPlaintextTables = encryptPlaintextTables };
    }
}
