using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;

namespace Hipaa.EfCore.Tests.Encryption;

/// <summary>Field encryption options are checked at start-up; a problem names the option, the value seen and the fix.</summary>
public sealed class FieldEncryptionOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValidAndAcceptBothCiphertextFormats()
    {
        var options = new FieldEncryptionOptions();

        Assert.True(new FieldEncryptionOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(CiphertextFormatVersions.Version1 | CiphertextFormatVersions.Version2, options.AcceptedCiphertextFormats);
    }

    [Fact]
    public void AcceptedCiphertextFormats_Version2Only_IsValid() =>
        Assert.True(new FieldEncryptionOptionsValidator().Validate(null, new FieldEncryptionOptions { AcceptedCiphertextFormats = CiphertextFormatVersions.Version2 }).Succeeded);

    [Theory]
    [InlineData(CiphertextFormatVersions.None, "AcceptedCiphertextFormats is 0")]
    [InlineData(CiphertextFormatVersions.Version1, "AcceptedCiphertextFormats is 1")]
    [InlineData(CiphertextFormatVersions.Version2 | (CiphertextFormatVersions)4, "AcceptedCiphertextFormats is 6")]
    public void AcceptedCiphertextFormats_WithoutVersion2OrWithAnUnknownVersion_IsRefusedNamingTheValueAndTheFix(CiphertextFormatVersions formats, string expected)
    {
        var result = new FieldEncryptionOptionsValidator().Validate(null, new FieldEncryptionOptions { AcceptedCiphertextFormats = formats });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.Contains("must include Version2", failure, StringComparison.Ordinal);
    }
}
