"""The password policy of the user pool: one definition for Cognito (local and CDK) and the UI."""

from __future__ import annotations

import string
from dataclasses import dataclass

# Cognito's accepted symbol set for the "require symbols" rule.
COGNITO_SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 10
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_digits: bool = True
    require_symbols: bool = False

    def rules(self) -> list[str]:
        """The policy as sentences a user can read before typing a password."""
        rules = [f"At least {self.min_length} characters"]
        if self.require_lowercase:
            rules.append("a lowercase letter")
        if self.require_uppercase:
            rules.append("an uppercase letter")
        if self.require_digits:
            rules.append("a digit")
        if self.require_symbols:
            rules.append("a symbol")
        return rules

    def describe(self) -> str:
        first, *rest = self.rules()
        return first + (", with " + ", ".join(rest) if rest else "") + "."

    def problems(self, password: str) -> list[str]:
        """What the password is missing; empty when Cognito will accept it."""
        missing: list[str] = []
        if len(password) < self.min_length:
            missing.append(f"at least {self.min_length} characters")
        if self.require_lowercase and not any(c in string.ascii_lowercase for c in password):
            missing.append("a lowercase letter")
        if self.require_uppercase and not any(c in string.ascii_uppercase for c in password):
            missing.append("an uppercase letter")
        if self.require_digits and not any(c in string.digits for c in password):
            missing.append("a digit")
        if self.require_symbols and not any(c in COGNITO_SYMBOLS for c in password):
            missing.append("a symbol")
        return missing

    def to_cognito(self) -> dict[str, object]:
        """The ``PasswordPolicy`` block of ``CreateUserPool``."""
        return {
            "MinimumLength": self.min_length,
            "RequireLowercase": self.require_lowercase,
            "RequireUppercase": self.require_uppercase,
            "RequireNumbers": self.require_digits,
            "RequireSymbols": self.require_symbols,
            "TemporaryPasswordValidityDays": 7,
        }


PASSWORD_POLICY = PasswordPolicy()
