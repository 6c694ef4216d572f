"""The release-topology policy pack: `pulumi preview --policy-pack policy`.

The only module that constructs PolicyPack (it starts a gRPC server and blocks): never import it.
"""

from pulumi_policy import PolicyPack

from policies import all_policies

PolicyPack(name="release-topology", policies=all_policies())
