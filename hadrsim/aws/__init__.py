"""The AWS adapter: a simulated design becomes the boto3 calls that build it.

Library code takes an injected :class:`~hadrsim.aws.session.AwsContext`; nothing here
builds clients from globals. Needs ``pip install 'hadrsim[aws]'`` (boto3).
"""
