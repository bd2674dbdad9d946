"""Throw-away OpenPGP keys for the signature tests, made with the real gpg: good, expired, revoked,
and keys that sign with a subkey (one of them expired), plus detached signatures, expired ones too."""
import subprocess
from pathlib import Path

PAST = "20200101T000000"  # a faked system time well before now, for keys and signatures that have expired


def gpg(home, *args, **kw):
    return subprocess.run(["gpg", "--batch", "--homedir", str(home), *args], check=True, capture_output=True, **kw)


class Key:
    """One key pair in its own GNUPGHOME; `public` is the exported public key file."""

    def __init__(self, base, name, usage="sign", expire="never", faked=None, sign_subkey=None):
        self.home = Path(base) / ("home-" + name)
        self.home.mkdir(mode=0o700)
        self.homes = [self.home]  # every keyring of this key: stop() ends each one's agent
        fake = ["--faked-system-time", faked] if faked else []
        gpg(self.home, *fake, "--passphrase", "", "--quick-gen-key", "%s <%s@example.invalid>" % (name, name.lower()),
            "ed25519", usage, expire)
        self.fpr = self._fingerprints()[0]
        if sign_subkey:  # (expiry, faked time): a signing subkey under a certify-only primary
            expiry, when = sign_subkey
            gpg(self.home, *(["--faked-system-time", when] if when else []), "--passphrase", "", "--quick-add-key",
                self.fpr, "ed25519", "sign", expiry)
        self.public = Path(base) / ("%s.pub" % name)
        self.export()

    def _fingerprints(self):
        out = gpg(self.home, "--with-colons", "--list-keys").stdout.decode()
        return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")]

    def export(self):
        self.public.write_bytes(gpg(self.home, "--export").stdout)

    def sign(self, path, suffix, faked=None, expire=None):
        args = ["--faked-system-time", faked] if faked else []
        if expire:
            args += ["--default-sig-expire", expire]
        armor = ["--armor"] if suffix == ".asc" else []
        gpg(self.home, *args, *armor, "--yes", "--detach-sign", "--output", str(path) + suffix, str(path))

    def revoke(self):
        """Publish the key revoked: its public key with the revocation certificate gpg made for it imported
        (in a keyring of its own, so the secret key can still sign test files)."""
        cert = (self.home / "openpgp-revocs.d" / (self.fpr + ".rev")).read_text()
        public_home = self.home.with_name(self.home.name + "-revoked")
        public_home.mkdir(mode=0o700)
        self.homes.append(public_home)
        (public_home / "revocation.asc").write_text(cert.replace(":-----BEGIN", "-----BEGIN"))
        gpg(public_home, "--import", str(self.public))
        gpg(public_home, "--import", str(public_home / "revocation.asc"))
        self.public.write_bytes(gpg(public_home, "--export").stdout)

    def stop(self):
        for home in self.homes:
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)


def keyfile(path, *keys):
    """One file holding the public keys of `keys` (as AWS's key files hold several)."""
    Path(path).write_bytes(b"".join(k.public.read_bytes() for k in keys))
    return Path(path)


def make_keys(base):
    """A: pinned, good. B: not pinned. E: expired. R: revoked. S: good key for an expired signature.
    K: certify-only primary signing with a subkey. X: primary whose signing subkey has expired."""
    keys = {
        "A": Key(base, "A"),
        "B": Key(base, "B"),
        "E": Key(base, "E", expire="1d", faked=PAST),
        "R": Key(base, "R"),
        "S": Key(base, "S", faked=PAST),
        "K": Key(base, "K", usage="cert", sign_subkey=("never", None)),
        "X": Key(base, "X", usage="cert", faked=PAST, sign_subkey=("1d", PAST)),
    }
    keys["R"].revoke()
    return keys
