using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>
/// Field encryption covers properties of regular entity types only. An [Encrypted] property of an owned or complex type
/// used to be stored as plaintext without a word; the model is now refused instead.
/// </summary>
public abstract class OwnedTypeEncryptionTests : IDisposable
{
    private readonly TestDatabase _database;

    protected OwnedTypeEncryptionTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Model_EncryptedPropertyOfAnOwnedType_IsRefusedRatherThanStoredAsPlaintext()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new ModelHost<OwnedTenantDb>(_database).Dispose());
        Assert.Contains("Tenant.Home.GateCode", failure.Message, StringComparison.Ordinal);
        Assert.Contains("owned", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_EncryptedPropertyOfAComplexType_IsRefusedRatherThanStoredAsPlaintext()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => new ModelHost<ComplexTenantDb>(_database).Dispose());
        Assert.Contains("Tenant.Home.GateCode", failure.Message, StringComparison.Ordinal);
        Assert.Contains("complex", failure.Message, StringComparison.Ordinal);
    }
}

public sealed class SqliteOwnedTypeEncryptionTests() : OwnedTypeEncryptionTests("sqlite");

public sealed class PostgresOwnedTypeEncryptionTests() : OwnedTypeEncryptionTests("postgres");
